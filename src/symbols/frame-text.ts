// A stack frame as the tracers print it, split into what symbolization needs:
//   ftrace            `pci_setup_device.cold` (no offset) or, with the sym-offset trace option,
//                     `__pci_read_base+0x1a2/0x460`, and in a module `nvme_probe+0x1f/0x6d0 [nvme]`;
//   bpftrace (kstack) `pci_read_config+438` (decimal offset, no module name).

export interface FrameText {
  fn: string;
  /** Byte offset into the function; null when the tracer printed the name alone. */
  offset: number | null;
  /** Module name from ` [nvme]`; null for vmlinux or when the tracer does not say. */
  module: string | null;
}

const FRAME_RE = /^([\w.$]+)(?:\+(0x[0-9a-f]+|\d+)(?:\/0x[0-9a-f]+)?)?(?: \[([\w-]+)\])?$/;

/** Null for what is not a function frame (a bare address such as `0xffffffffc0000083`). */
export function parseFrame(text: string): FrameText | null {
  const m = FRAME_RE.exec(text.trim());
  if (!m || /^0x[0-9a-f]+$/.test(m[1]!)) return null;
  const off = m[2];
  return { fn: m[1]!, offset: off === undefined ? null : off.startsWith('0x') ? parseInt(off, 16) : Number(off), module: m[3] ?? null };
}
