// One byte of a config write as the device holds it afterwards, from the written byte, the old
// byte and the byte's attribute masks: the piece that applyWrite (write-semantics.ts) and the
// BAR and window writes (special-writes.ts) share.

/** Bits of an access (in its own bit positions) per attribute; the rest are read-write. */
export interface Attributes {
  readonly ro: number;
  readonly rw1c: number;
  readonly rw1s: number;
  readonly sc: number;
}

export const NO_ATTRIBUTES: Attributes = Object.freeze({ ro: 0, rw1c: 0, rw1s: 0, sc: 0 });

/** The shadow config as applyWrite sees it: a byte or undefined when unknown. */
export interface HeldBytes {
  byte(off: number): number | undefined;
  /** The value of `size` bytes at `off`, null when any of them is unknown. */
  get(off: number, size: number): number | null;
  set(off: number, size: number, value: number, how: number, epoch?: number): void;
  forget(off: number, size: number): void;
  /** Every known byte's offset, in order (a reset walks these, not all 4096). */
  forEachKnown(fn: (off: number) => void): void;
}

/** 256 to the power of a byte's number in a value of up to 4 bytes. */
export const BYTE_WEIGHT = [1, 0x100, 0x10000, 0x1000000] as const;

/** Byte `i` of a value of up to 4 bytes (access values and masks are 32-bit). */
export const byteOf = (v: number, i: number): number => (v >>> (8 * i)) & 0xff;

/** One byte of the device after the write: `w` written over `old` (undefined: unknown), with the
 *  byte's attribute masks. undefined when the result depends on an unknown old value. */
export function heldByte(old: number | undefined, w: number, ro: number, rw1c: number, rw1s: number, sc: number): number | undefined {
  const keep = ro | (rw1c & ~w) | (rw1s & ~w);
  if (old === undefined && (keep & 0xff) !== 0) return undefined;
  const o = old ?? 0;
  const rw = ~(ro | rw1c | rw1s | sc);
  return ((w & rw) | (o & ro) | (o & rw1c & ~w) | ((o | w) & rw1s)) & 0xff;
}
