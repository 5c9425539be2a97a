// What cfgscope knows of one function's config space at this point of the trace: a value per
// byte and whether it is known. Filled from a device's config snapshot and from reads that carry
// their value; a write stores what was written. An old value is reported only when every byte of
// it is known: an unknown old value is said to be unknown, never guessed.

import { configFromHex, configToHex } from './config-hex.js';

export const CONFIG_SIZE = 4096;

/** How a byte came to be known. */
export const enum ByteSource {
  Unknown = 0,
  Snapshot = 1,
  Read = 2,
  Written = 3,
}

/** What an access finds before it: the pipeline's per-access question, answered in one pass. */
export interface OldValue {
  /** get(off, size) */
  value: number | null;
  /** sourceOf(off, size) when the value is known, else Unknown */
  from: ByteSource;
  /** isStale(off, size, epoch) when the value is known, else false */
  stale: boolean;
  /** sourceOf(off, size) === Unknown: some byte of the range was never seen */
  fresh: boolean;
}

export class ShadowConfig {
  private readonly bytes = new Uint8Array(CONFIG_SIZE);
  private readonly source = new Uint8Array(CONFIG_SIZE);
  /**
   * Per byte, the count of unattributed writes (early-boot function-tracer hits: some device,
   * some offset) that had happened when the byte became known. A byte known before the latest
   * such write may have been changed by it: its value is then stale, not certain.
   */
  private readonly epoch = new Uint32Array(CONFIG_SIZE);

  /** Loads a snapshot in the capture's hex form (`..` for unknown bytes). */
  loadHex(hex: string): void {
    configFromHex(hex).forEach((b, off) => {
      if (b === undefined || off >= CONFIG_SIZE) return;
      this.bytes[off] = b;
      this.source[off] = ByteSource.Snapshot;
    });
  }

  /** Little-endian value of `size` bytes at `off`, or null if any byte is unknown. */
  get(off: number, size: number): number | null {
    if (off < 0 || off + size > CONFIG_SIZE) return null;
    let v = 0;
    for (let i = size - 1; i >= 0; i--) {
      if (this.source[off + i] === ByteSource.Unknown) return null;
      v = v * 256 + this.bytes[off + i]!;
    }
    return v;
  }

  /** Where the oldest-known byte of the range came from (for saying how sure an old value is). */
  sourceOf(off: number, size: number): ByteSource {
    let s: ByteSource = ByteSource.Written;
    for (let i = 0; i < size && off + i < CONFIG_SIZE; i++) s = Math.min(s, this.source[off + i]!) as ByteSource;
    return s;
  }

  /**
   * get(), sourceOf() and isStale() of one range in a single pass over its bytes, written into
   * `out` (owned by the caller and reused: no allocation per access). Same answers as the three.
   */
  lookOld(off: number, size: number, epoch: number, out: OldValue): void {
    if (off < 0 || off + size > CONFIG_SIZE) {
      out.value = this.get(off, size);
      const from = this.sourceOf(off, size);
      out.from = out.value === null ? ByteSource.Unknown : from;
      out.stale = out.value !== null && this.isStale(off, size, epoch);
      out.fresh = from === ByteSource.Unknown;
      return;
    }
    let v = 0;
    let from: ByteSource = ByteSource.Written;
    let stale = false;
    for (let i = off + size - 1; i >= off; i--) {
      const s = this.source[i]!;
      if (s === ByteSource.Unknown) {
        out.value = null;
        out.from = ByteSource.Unknown;
        out.stale = false;
        out.fresh = true;
        return;
      }
      if (s < from) from = s;
      if (this.epoch[i]! < epoch) stale = true;
      v = v * 256 + this.bytes[i]!;
    }
    out.value = v;
    out.from = from;
    out.stale = stale;
    out.fresh = false;
  }

  set(off: number, size: number, value: number, how: ByteSource, epoch = 0): void {
    // A 32-bit value (every access's) shifts; anything else divides, as it always did.
    const u32 = (value >>> 0) === value;
    let v = value;
    for (let i = 0; i < size && off + i < CONFIG_SIZE; i++) {
      this.bytes[off + i] = v & 0xff;
      this.source[off + i] = how;
      this.epoch[off + i] = epoch;
      v = u32 ? v >>> 8 : Math.floor(v / 256);
    }
  }

  /** Makes the range unknown again: a write left it holding a value cfgscope cannot know (a
   *  read-only bit of an unknown byte, a BAR's size bits, an access of unknown width). */
  forget(off: number, size: number): void {
    for (let i = 0; i < size && off + i < CONFIG_SIZE; i++) this.source[off + i] = ByteSource.Unknown;
  }

  /** True when some byte of the range became known before unattributed write number `epoch`. */
  isStale(off: number, size: number, epoch: number): boolean {
    for (let i = 0; i < size && off + i < CONFIG_SIZE; i++) if (this.epoch[off + i]! < epoch) return true;
    return false;
  }

  /** Byte at `off` or undefined when unknown: the view the capability walker takes. */
  byte(off: number): number | undefined {
    return this.source[off] === ByteSource.Unknown ? undefined : this.bytes[off];
  }

  /** Hex form for a device record: two digits per byte, `..` when unknown, trailing unknowns cut. */
  toHex(): string {
    let last = -1;
    for (let i = 0; i < CONFIG_SIZE; i++) if (this.source[i] !== ByteSource.Unknown) last = i;
    const view: (number | undefined)[] = [];
    for (let i = 0; i <= last; i++) view.push(this.byte(i));
    return configToHex(view);
  }
}
