// The checksum side of reading a packed capture (v2, ./packed-layout.ts): the records of a block
// are held until the check frame that closes it, then handed on if the block's CRC-32 matches, or
// dropped with a PACKED_CHECKSUM skip and the block's byte range if it does not. A flipped bit
// thus costs one block's records, reported, and never changes a record silently. Records after
// the last check frame (a file cut off, or framing lost) are handed on unverified, and said so.

import type { CaptureRecord } from '../model/records.js';
import { crc32 } from './crc32.js';
import { CHECK_FRAME } from './packed-layout.js';
import type { RecordSink } from './parser.js';

const hex8 = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

export class BlockCheck {
  private crc = 0;
  /** One array for every block (emptied, not replaced: a block is about 250 records). */
  private readonly held: CaptureRecord[] = [];
  /** File offset of the block's first byte. */
  private start = 0;
  /** Blocks that failed and records dropped with them (the end of input says the total). */
  failedBlocks = 0;

  constructor(private readonly emit: RecordSink) {}

  hold(r: CaptureRecord): void {
    this.held.push(r);
  }

  /** Adds bytes [from, to) of `b`, the next bytes of the file after the ones already added. */
  add(b: Uint8Array, from: number, to: number): void {
    if (to > from) this.crc = crc32(b.subarray(from, to), this.crc);
  }

  /** A block verified before it was decoded (the reader found its check frame at `at` first). */
  verified(at: number): void {
    this.crc = 0;
    this.start = at + CHECK_FRAME;
  }

  /** A block that failed before it was decoded: `records` of its frames are not read. */
  failed(want: number, got: number, at: number, line: number, records: number): void {
    this.failedBlocks++;
    this.emit(this.mismatch(want, got, at, line, records));
    this.crc = 0;
    this.start = at + CHECK_FRAME;
  }

  private mismatch(want: number, got: number, at: number, line: number, records: number): CaptureRecord {
    return {
      t: 'skipped', code: 'PACKED_CHECKSUM', line, text: '',
      message: `bytes ${this.start}..${at} do not match their checksum (CRC-32 ${hex8(want)} in the file, ${hex8(got)} computed: `
        + `flipped bits or an overwrite): the ${records} records of that block are not read`,
    };
  }

  /** The check frame at file offset `at` says `want`; `line` is its frame number. False when the
   *  block failed (its records were dropped). */
  close(want: number, at: number, line: number): boolean {
    const held = this.held;
    const n = held.length;
    if (want === this.crc) {
      for (let i = 0; i < n; i++) this.emit(held[i]!);
    } else {
      this.failedBlocks++;
      this.emit(this.mismatch(want, this.crc, at, line, n));
    }
    held.length = 0;
    const ok = want === this.crc;
    this.crc = 0;
    this.start = at + CHECK_FRAME;
    return ok;
  }

  /** Hands on what is held, unverified; a note for the caller's message, or '' when nothing was. */
  release(): string {
    const held = this.held;
    const n = held.length;
    for (let i = 0; i < n; i++) this.emit(held[i]!);
    held.length = 0;
    return n > 0 ? `; the ${n} records after the last checksum (byte ${this.start}) are read unverified` : '';
  }
}
