// What cfgscope knows of one function's config space at this point of the trace: a value per
// byte and whether it is known. Filled from a device's config snapshot and from reads that carry
// their value; a write stores what was written. An old value is reported only when every byte of
// it is known: an unknown old value is said to be unknown, never guessed.
//
// Sparse: a trace touches a few registers of most devices (a scan of a large or forged topology
// reads three dwords of each of hundreds of thousands of functions), so the 4 KiB space is kept
// in 64-byte pages made on first write, packed after a page index in one growing array per device:
// a device the trace touched in one page costs one 256-byte array, not the 24 KiB of flat arrays.

import { configFromHex, configToHex } from './config-hex.js';

export const CONFIG_SIZE = 4096;
const PAGE_SHIFT = 6;
const PAGE = 1 << PAGE_SHIFT;
const PAGE_MASK = PAGE - 1;
const EMPTY = new Uint16Array(0);

/** How a byte came to be known. Ordered oldest first: a range's source is its oldest byte's
 *  (lookOld, sourceOf), so a value one byte of which came from the previous kernel's capture
 *  says so. */
export const enum ByteSource {
  Unknown = 0,
  /** The previous kernel's last known state (`--previous-capture`), not seen by this capture. */
  Carried = 1,
  Snapshot = 2,
  Read = 3,
  Written = 4,
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
  /**
   * One array: entries 0..63 are the page index (per page of config space, its slot in this
   * array, 0 when no byte of the page is known); slot k holds the page at entries k*64..k*64+63,
   * each byte as its source (ByteSource) << 8 | its value, below 256 meaning unknown. Empty
   * until the first byte is known.
   */
  private store = EMPTY;
  private pages = 0;
  /**
   * Per stored byte (same index as `store`), the count of unattributed writes (early-boot
   * function-tracer hits: some device, some offset) that had happened when the byte became
   * known. A byte known before the latest such write may have been changed by it: its value is
   * then stale, not certain. Null while every count is 0 (most traces have no such write).
   */
  private epochs: Uint32Array | null = null;

  /** Loads a snapshot in the capture's hex form (`..` for unknown bytes). */
  loadHex(hex: string): void {
    configFromHex(hex).forEach((b, off) => {
      if (b === undefined || off >= CONFIG_SIZE) return;
      const i = this.cellFor(off);
      this.store[i] = (ByteSource.Snapshot << 8) | b;
      if (this.epochs !== null) this.epochs[i] = 0;
    });
  }

  /** Store index of the byte at `off` (0 <= off < CONFIG_SIZE), or -1 when its page is not kept. */
  private cellAt(off: number): number {
    const slot = this.pages === 0 ? 0 : this.store[off >>> PAGE_SHIFT]!;
    return slot === 0 ? -1 : (slot << PAGE_SHIFT) | (off & PAGE_MASK);
  }

  /** Store index of the byte at `off`, making its page (all unknown) if needed. */
  private cellFor(off: number): number {
    let slot = this.pages === 0 ? 0 : this.store[off >>> PAGE_SHIFT]!;
    if (slot === 0) {
      slot = this.pages + 1;
      const need = (slot + 1) << PAGE_SHIFT;
      if (need > this.store.length) {
        // Doubling: a device read all over (a sysfs dump) grows in six steps, not sixty-four.
        const size = Math.min(CONFIG_SIZE + PAGE, Math.max(need, this.store.length * 2));
        const store = new Uint16Array(size);
        store.set(this.store);
        this.store = store;
        if (this.epochs !== null) {
          const epochs = new Uint32Array(size);
          epochs.set(this.epochs);
          this.epochs = epochs;
        }
      }
      this.pages = slot;
      this.store[off >>> PAGE_SHIFT] = slot;
    }
    return (slot << PAGE_SHIFT) | (off & PAGE_MASK);
  }

  private setEpoch(i: number, epoch: number): void {
    if (this.epochs === null) {
      if (epoch === 0) return;
      this.epochs = new Uint32Array(this.store.length);
    }
    this.epochs[i] = epoch;
  }

  /** Little-endian value of `size` bytes at `off`, or null if any byte is unknown. */
  get(off: number, size: number): number | null {
    if (off < 0 || off + size > CONFIG_SIZE) return null;
    // The fast path: a range inside one page (every aligned access), one page lookup.
    if (size > 0 && (off & PAGE_MASK) + size <= PAGE) {
      const first = this.cellAt(off);
      if (first < 0) return null;
      const store = this.store;
      let v = 0;
      for (let i = first + size - 1; i >= first; i--) {
        const c = store[i]!;
        if (c < 256) return null;
        v = v * 256 + (c & 0xff);
      }
      return v;
    }
    let v = 0;
    for (let i = size - 1; i >= 0; i--) {
      const c = this.cell(off + i);
      if (c < 256) return null;
      v = v * 256 + (c & 0xff);
    }
    return v;
  }

  /** source << 8 | value of the byte at `off` (in range), 0 when unknown. */
  private cell(off: number): number {
    const i = this.cellAt(off);
    return i < 0 ? 0 : this.store[i]!;
  }

  /** Where the oldest-known byte of the range came from (for saying how sure an old value is). */
  sourceOf(off: number, size: number): ByteSource {
    let s: ByteSource = ByteSource.Written;
    for (let i = 0; i < size && off + i < CONFIG_SIZE; i++) s = Math.min(s, off + i < 0 ? 0 : this.cell(off + i) >>> 8) as ByteSource;
    return s;
  }

  /**
   * get(), sourceOf() and isStale() of one range in a single pass over its bytes, written into
   * `out` (owned by the caller and reused: no allocation per access). Same answers as the three.
   */
  lookOld(off: number, size: number, epoch: number, out: OldValue): void {
    // The fast path: a range inside one page (every aligned access), one page lookup.
    if (off >= 0 && size > 0 && (off & PAGE_MASK) + size <= PAGE && off + size <= CONFIG_SIZE) {
      const store = this.store;
      const slot = this.pages === 0 ? 0 : store[off >>> PAGE_SHIFT]!;
      if (slot === 0) {
        out.value = null;
        out.from = ByteSource.Unknown;
        out.stale = false;
        out.fresh = true;
        return;
      }
      const first = (slot << PAGE_SHIFT) | (off & PAGE_MASK);
      const epochs = this.epochs;
      let v = 0;
      let from: ByteSource = ByteSource.Written;
      // Every byte's count is 0 without the epochs array: stale only past an unattributed write.
      let stale = epochs === null && epoch > 0;
      for (let i = first + size - 1; i >= first; i--) {
        const c = store[i]!;
        if (c < 256) {
          out.value = null;
          out.from = ByteSource.Unknown;
          out.stale = false;
          out.fresh = true;
          return;
        }
        const s = (c >>> 8) as ByteSource;
        if (s < from) from = s;
        if (epochs !== null && epochs[i]! < epoch) stale = true;
        v = v * 256 + (c & 0xff);
      }
      out.value = v;
      out.from = from;
      out.stale = stale;
      out.fresh = false;
      return;
    }
    out.value = this.get(off, size);
    const from = this.sourceOf(off, size);
    out.from = out.value === null ? ByteSource.Unknown : from;
    out.stale = out.value !== null && this.isStale(off, size, epoch);
    out.fresh = from === ByteSource.Unknown;
  }

  set(off: number, size: number, value: number, how: ByteSource, epoch = 0): void {
    const u32 = (value >>> 0) === value;
    // The fast path: a 32-bit value (every access's) in one page (every aligned access), one page
    // lookup: every read with a value and every write comes here.
    if (u32 && off >= 0 && size > 0 && (off & PAGE_MASK) + size <= PAGE && off + size <= CONFIG_SIZE) {
      const first = this.cellFor(off);
      const store = this.store; // after cellFor, which may have grown it
      const tag = how << 8;
      let v = value;
      for (let i = first; i < first + size; i++) {
        store[i] = tag | (v & 0xff);
        v >>>= 8;
      }
      if (this.epochs !== null || epoch !== 0) for (let i = first; i < first + size; i++) this.setEpoch(i, epoch);
      return;
    }
    // Anything else byte by byte; a value past 32 bits divides, as it always did.
    let v = value;
    for (let i = 0; i < size && off + i < CONFIG_SIZE; i++) {
      if (off + i >= 0) {
        const c = this.cellFor(off + i);
        this.store[c] = (how << 8) | (v & 0xff);
        this.setEpoch(c, epoch);
      }
      v = u32 ? v >>> 8 : Math.floor(v / 256);
    }
  }

  /** Makes the range unknown again: a write left it holding a value cfgscope cannot know (a
   *  read-only bit of an unknown byte, a BAR's size bits, an access of unknown width). */
  forget(off: number, size: number): void {
    for (let i = 0; i < size && off + i < CONFIG_SIZE; i++) {
      // A byte of a page never made is unknown already: nothing to allocate.
      const c = off + i < 0 ? -1 : this.cellAt(off + i);
      if (c >= 0) this.store[c] = 0;
    }
  }

  /** True when some byte of the range became known before unattributed write number `epoch`. */
  isStale(off: number, size: number, epoch: number): boolean {
    for (let i = 0; i < size && off + i < CONFIG_SIZE; i++) {
      if (off + i < 0) continue;
      const c = this.cellAt(off + i);
      // An unknown byte has epoch 0, as the flat arrays had.
      if ((c < 0 || this.epochs === null ? 0 : this.epochs[c]!) < epoch) return true;
    }
    return false;
  }

  /** Every known byte, by offset (`--previous-capture` carries them over; not per access). */
  forEachKnown(fn: (off: number, value: number, from: ByteSource) => void): void {
    if (this.pages === 0) return;
    for (let page = 0; page < CONFIG_SIZE >>> PAGE_SHIFT; page++) {
      const slot = this.store[page]!;
      if (slot === 0) continue;
      for (let i = 0; i < PAGE; i++) {
        const c = this.store[(slot << PAGE_SHIFT) | i]!;
        if (c >= 256) fn((page << PAGE_SHIFT) | i, c & 0xff, (c >>> 8) as ByteSource);
      }
    }
  }

  /** Byte at `off` or undefined when unknown: the view the capability walker takes. */
  byte(off: number): number | undefined {
    if (off < 0 || off >= CONFIG_SIZE || (off | 0) !== off) return undefined;
    const c = this.cell(off);
    return c < 256 ? undefined : c & 0xff;
  }

  /** Hex form for a device record: two digits per byte, `..` when unknown, trailing unknowns cut. */
  toHex(): string {
    let last = -1;
    for (let off = CONFIG_SIZE - 1; off >= 0 && last < 0; off--) if (this.cell(off) >= 256) last = off;
    const view: (number | undefined)[] = [];
    for (let i = 0; i <= last; i++) view.push(this.byte(i));
    return configToHex(view);
  }
}
