// Bus/device/function addressing, printed the way the kernel and lspci print it: 0000:3b:00.0.

export interface Bdf {
  seg: number;
  bus: number;
  devfn: number;
}

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

export function formatBdf(seg: number, bus: number, devfn: number): string {
  return `${hex(seg, 4)}:${hex(bus, 2)}:${hex(devfn >> 3, 2)}.${devfn & 7}`;
}

const BDF_RE = /^(?:([0-9a-fA-F]{1,4}):)?([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})\.([0-7])$/;

/** Parses `0000:3b:00.0` or `3b:00.0` (segment 0). Returns null when it is not a BDF. */
export function parseBdf(text: string): Bdf | null {
  const m = BDF_RE.exec(text);
  if (!m) return null;
  const dev = parseInt(m[3]!, 16);
  if (dev > 31) return null;
  return { seg: m[1] ? parseInt(m[1], 16) : 0, bus: parseInt(m[2]!, 16), devfn: (dev << 3) | parseInt(m[4]!, 10) };
}

/** A compact numeric key for maps: seg(16) bus(8) devfn(8). */
export const bdfKey = (seg: number, bus: number, devfn: number): number => seg * 65536 + bus * 256 + devfn;

export const bdfFromKey = (key: number): string => formatBdf(Math.floor(key / 65536), (key >> 8) & 0xff, key & 0xff);
