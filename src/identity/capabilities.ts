// Walks a device's capability lists from its config bytes, as the kernel does (drivers/pci/pci.c
// __pci_find_next_cap_ttl, pci_find_next_ext_capability), for bytes that may be only partly known:
// a sysfs read without root gives 64 bytes, a trace gives only the bytes the kernel read. The walk
// returns what it could follow and says whether it reached a real end or ran into unknown bytes.
// Standard list: only if STATUS.CAP_LIST (bit 4) is set; pointer at 0x34 (0x14 on CardBus); each
// entry is id, next; the low two pointer bits are reserved and masked (PCI 3.0 6.7), a pointer
// below 0x40 ends the list, id 0xff is a failed read. Extended list: dword headers from 0x100; 0 or
// 0xffffffff at 0x100 means none; a next pointer below 0x100 ends the list.

import type { CapabilityEntry } from '../model/records.js';

export type ConfigBytes = Uint8Array | readonly (number | undefined)[];

export type WalkNoteCode =
  | 'STATUS_UNKNOWN' // STATUS not known: the standard list was walked without knowing it exists
  | 'UNKNOWN_BYTES' // a pointer or header needed for the walk is not known
  | 'CAP_ID_UNKNOWN' // an entry's next pointer is known but its id is not
  | 'LOOP' // a pointer came back to an entry already seen
  | 'TOO_MANY' // more entries than fit in config space (48 standard, 480 extended)
  | 'BAD_ID'; // id 0xff: the read failed (device gone)

export interface WalkNote {
  code: WalkNoteCode;
  /** Offset of the entry or pointer the note is about. */
  off: number;
}

export interface CapabilityWalk {
  caps: CapabilityEntry[];
  ecaps: CapabilityEntry[];
  /** The standard list was followed to its end with every byte known. */
  stdComplete: boolean;
  /** The extended list was followed to its end (or the device has no extended space). */
  extComplete: boolean;
  complete: boolean;
  notes: WalkNote[];
}

export interface WalkOptions {
  /**
   * Size of the device's config space when known (sysfs `config` file size: 256 or 4096), even if
   * fewer bytes were readable. Offsets at or past it do not exist; 256 means no extended list.
   */
  spaceSize?: number;
}

const MAX_STD = 48; // (256 - 64) / 4 entries: the kernel's PCI_FIND_CAP_TTL
const MAX_EXT = (4096 - 256) / 8;

/** `bytes` may also be a function answering one offset: a sparse shadow is not copied out. */
export function walkCapabilities(bytes: ConfigBytes | ByteAt, opts: WalkOptions = {}): CapabilityWalk {
  const notes: WalkNote[] = [];
  const byte: ByteAt = typeof bytes === 'function' ? bytes : (off) => (off < bytes.length ? bytes[off] : undefined);
  const std = walkStd(byte, notes);
  const ext = opts.spaceSize !== undefined && opts.spaceSize <= 0x100
    ? { list: [], complete: true }
    : walkExt(byte, notes);
  return {
    caps: std.list, ecaps: ext.list, stdComplete: std.complete, extComplete: ext.complete,
    complete: std.complete && ext.complete, notes,
  };
}

export type ByteAt = (off: number) => number | undefined;
interface Walked { list: CapabilityEntry[]; complete: boolean }

function walkStd(byte: ByteAt, notes: WalkNote[]): Walked {
  const list: CapabilityEntry[] = [];
  const status = byte(0x06);
  if (status !== undefined && (status & 0x10) === 0) return { list, complete: true };
  let complete = true;
  if (status === undefined) {
    notes.push({ code: 'STATUS_UNKNOWN', off: 0x06 });
    complete = false;
  }
  const ht = byte(0x0e);
  const start = ht !== undefined && (ht & 0x7f) === 2 ? 0x14 : 0x34;
  let ptr = byte(start);
  if (ptr === undefined) {
    notes.push({ code: 'UNKNOWN_BYTES', off: start });
    return { list, complete: false };
  }
  const seen = new Set<number>();
  for (let n = 0; ; n++) {
    if (ptr < 0x40) return { list, complete };
    const pos = ptr & ~3;
    if (seen.has(pos)) { notes.push({ code: 'LOOP', off: pos }); return { list, complete }; }
    if (n >= MAX_STD) { notes.push({ code: 'TOO_MANY', off: pos }); return { list, complete }; }
    seen.add(pos);
    const id = byte(pos);
    const next = byte(pos + 1);
    if (id === 0xff) { notes.push({ code: 'BAD_ID', off: pos }); return { list, complete }; }
    if (id === undefined && next === undefined) {
      notes.push({ code: 'UNKNOWN_BYTES', off: pos });
      return { list, complete: false };
    }
    if (id === undefined) {
      notes.push({ code: 'CAP_ID_UNKNOWN', off: pos });
      complete = false;
    } else {
      list.push({ id, off: pos });
    }
    if (next === undefined) {
      notes.push({ code: 'UNKNOWN_BYTES', off: pos + 1 });
      return { list, complete: false };
    }
    ptr = next;
  }
}

function dword(byte: ByteAt, off: number): number | undefined {
  let v = 0;
  for (let i = 3; i >= 0; i--) {
    const b = byte(off + i);
    if (b === undefined) return undefined;
    v = v * 256 + b;
  }
  return v;
}

function walkExt(byte: ByteAt, notes: WalkNote[]): Walked {
  const list: CapabilityEntry[] = [];
  const seen = new Set<number>();
  for (let pos = 0x100, n = 0; ; n++) {
    const header = dword(byte, pos);
    if (header === undefined) {
      notes.push({ code: 'UNKNOWN_BYTES', off: pos });
      return { list, complete: false };
    }
    // 0 at 0x100: no extended capabilities; all ones: the read failed or there is no such space.
    if (header === 0xffffffff || (header === 0 && pos === 0x100)) return { list, complete: true };
    seen.add(pos);
    const id = header & 0xffff;
    // Id 0 is a placeholder entry the spec allows at 0x100 to carry only a next pointer.
    if (id !== 0) list.push({ id, off: pos, ver: (header >>> 16) & 0xf });
    const next = (header >>> 20) & 0xffc;
    if (next < 0x100) return { list, complete: true };
    if (seen.has(next)) { notes.push({ code: 'LOOP', off: next }); return { list, complete: true }; }
    if (n + 1 >= MAX_EXT) { notes.push({ code: 'TOO_MANY', off: next }); return { list, complete: true }; }
    pos = next;
  }
}
