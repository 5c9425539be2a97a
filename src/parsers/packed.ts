// Reads the packed encoding of a capture (./packed-layout.ts, docs/capture-format.md): fixed
// access frames are decoded straight from the file's bytes into the same records the NDJSON form
// gives; JSON frames (every other record) go through the NDJSON capture parser, so header, shape
// and version checks are the same code. Locations count frames the way the NDJSON form counts
// lines: the magic line is record 1, each frame one more. A v2 file's check frames are verified
// by ./packed-check.ts before the records of their block go on; a v1 file has none. This file
// frames the bytes (magic line, frames, blocks and their checksums, a cut-off end);
// ./packed-frame-decoder.ts turns an access or nested frame into its record.

import { CfgscopeError } from '../model/errors.js';
import { layerLiteral } from '../model/record-check.js';
import type { CaptureRecord } from '../model/records.js';
import { captureLines } from './capture.js';
import { BlockCheck } from './packed-check.js';
import { crc32 } from './crc32.js';
import { asIs, LegacyBoots } from './legacy-boots.js';
import { PackedFrameDecoder, viewOf } from './packed-frame-decoder.js';
import {
  ACCESS_FRAME, CHECK_FRAME, JSON_HEAD, JSON_MAX, NESTED_FRAME, PACKED_MAGIC, PACKED_MAGIC_BYTES,
  PACKED_MAGIC_V1, PACKED_MAGIC_V1_BYTES, STRING_HEAD, TAG_ACCESS, TAG_CHECK, TAG_JSON, TAG_NESTED, TAG_STRING,
} from './packed-layout.js';
import type { InputFormat, LineParser, ParseContext, RecordSink } from './parser.js';

export const packedFormat: InputFormat = {
  kind: 'packed',
  name: 'cfgscope capture (packed)',
  detect: (head) => head.length > 0 && (head[0] === PACKED_MAGIC || head[0] === PACKED_MAGIC_V1),
  create: (ctx, emit) => new PackedParser(ctx, emit),
};

const hex2 = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;
const INCOMPLETE = -1;
const UNFRAMED = -2;
const STOPPED = -3;

class PackedParser extends PackedFrameDecoder implements LineParser {
  private carry: Buffer | null = null;
  private magicSeen = false;
  private stopped = false;
  /** v2: the block checksums; null for a v1 file (no checksums). */
  private check: BlockCheck | null = null;
  /** The current block's records wait for its check frame (a v2 block not verified up front). */
  private holding = false;
  /** Between two blocks: the next frame starts one. */
  private blockDone = false;
  /** How many strings were defined before the current checked block. */
  private blockStrings = 0;
  private readonly json: LineParser;
  /** boot: captures from before boot records read as if they had them (./legacy-boots.ts):
   *  every record goes through it, each access frame's without a test of its type. */
  private readonly legacy: LegacyBoots;
  private readonly emit: RecordSink;

  constructor(private readonly ctx: ParseContext, emit: RecordSink) {
    super();
    const legacy = new LegacyBoots(emit);
    this.legacy = legacy;
    this.emit = (r) => legacy.record(r);
    // The JSON frames' records as they are: they are upgraded here, in order with the access frames.
    this.json = captureLines(ctx, asIs((r) => {
      if (r.t === 'header') this.sawHeader = true;
      this.out(r);
    }));
  }

  line(): void {
    // Sources feed chunk() to a parser that has it (src/sources/parser-feed.ts).
    throw new CfgscopeError('INPUT_READ_FAILED', 'a packed capture is read as bytes, not lines', { file: this.ctx.file });
  }

  chunk(data: Buffer): void {
    if (this.stopped) return;
    let p = 0;
    if (this.carry) {
      // Only the frame that straddles the two chunks is joined, never the whole chunk.
      const c = this.carry;
      const head = c.length >= JSON_HEAD ? c : Buffer.concat([c, data.subarray(0, JSON_HEAD - c.length)]);
      const len = this.frameLength(head, 0);
      if (len === UNFRAMED) return this.unframed(0, head);
      if (len === INCOMPLETE || c.length + data.length < len) {
        this.carry = Buffer.concat([c, data]);
        return;
      }
      p = len - c.length;
      this.carry = null;
      if (this.frames(Buffer.concat([c, data.subarray(0, p)]), 0) === STOPPED) return;
      this.consumed += c.length;
    }
    const q = this.frames(data, p);
    if (q === STOPPED) return;
    this.consumed += q;
    // Copied: the stream may reuse its buffer, and a small tail must not pin a whole chunk.
    if (q < data.length) this.carry = Buffer.from(data.subarray(q));
  }

  /** Reads every whole frame of `b` from `p`; returns where the first incomplete one starts. */
  private frames(b: Buffer, from: number): number {
    const n = b.length;
    const v = viewOf(b);
    let p = from;
    /** Start of the bytes of `b` not yet added to the block's checksum. */
    let unsummed = from;
    while (p < n) {
      if (this.blockDone) {
        // A block starts: when its check frame is in this buffer too (most blocks), it is verified
        // before any of its frames is decoded, and its records go straight on; otherwise (it
        // straddles two chunks) they are held until its check frame.
        this.blockDone = false;
        const c = this.checkFrameAt(b, p);
        this.holding = c < 0;
        if (c >= 0) {
          if (crc32(b.subarray(p, c)) !== v.getUint32(c + 1, true)) this.dropBlock(b, v, p, c);
          else if (this.verifiedBlock(b, v, p, c) === STOPPED) return STOPPED;
          p = unsummed = c + CHECK_FRAME;
          continue;
        }
      }
      const len = this.frameLength(b, p);
      if (len === UNFRAMED) { this.unframed(p, b); return STOPPED; }
      if (len === INCOMPLETE || p + len > n) break;
      const tag = b[p];
      if (!this.magicSeen) this.magic(b, p);
      else {
        this.frame++;
        if (tag === TAG_ACCESS) {
          const r = this.access(b, v, p);
          if (r !== null) this.out(r);
        } else if (tag !== TAG_CHECK) this.otherFrame(b, v, p, len);
        else {
          if (this.holding) {
            this.check!.add(b, unsummed, p);
            // A damaged block's strings may be damaged too: later frames naming them are skipped.
            if (!this.check!.close(v.getUint32(p + 1, true), this.consumed + p, this.frame)) this.strings.fill(undefined, this.blockStrings);
          } else {
            this.check!.verified(this.consumed + p);
          }
          this.endBlock();
          unsummed = p + CHECK_FRAME;
        }
      }
      p += len;
    }
    if (this.holding) this.check!.add(b, unsummed, p);
    return p;
  }

  /** The frames [p, c) of a block whose checksum matched, and its check frame at `c`: every frame
   *  is whole (checkFrameAt walked them), so this loop asks only what each one is. */
  private verifiedBlock(b: Buffer, v: DataView, p: number, c: number): number {
    while (p < c) {
      if (b[p] === TAG_ACCESS) {
        this.frame++;
        const r = this.access(b, v, p);
        if (r !== null) this.legacy.access(r);
        p += ACCESS_FRAME;
        continue;
      }
      const len = this.frameLength(b, p);
      if (len === UNFRAMED) { this.unframed(p, b); return STOPPED; }
      this.frame++;
      this.otherFrame(b, v, p, len);
      p += len;
    }
    this.frame++;
    this.check!.verified(this.consumed + c);
    this.endBlock();
    return c + CHECK_FRAME;
  }

  /** A nested, string or JSON frame (`len` bytes at `p`). */
  private otherFrame(b: Buffer, v: DataView, p: number, len: number): void {
    const tag = b[p];
    if (tag === TAG_NESTED) this.nested(b, v, p);
    else if (tag === TAG_STRING) this.strings.push(layerLiteral(b.toString('utf8', p + STRING_HEAD, p + len)));
    else this.json.line(b.toString('utf8', p + JSON_HEAD, p + len), this.frame);
  }

  private endBlock(): void {
    this.blockStrings = this.strings.length;
    this.blockDone = true;
    this.holding = false;
  }

  /** Where the check frame closing the block that starts at `p` is in `b`, or -1 when `b` ends
   *  (or cannot be framed) before it. Reads only tags and lengths. */
  private checkFrameAt(b: Buffer, p: number): number {
    const n = b.length;
    let q = p;
    // Inline lengths (frameLength is for the frame being read): access frames are most of a block.
    while (q < n) {
      const t = b[q];
      if (t === TAG_ACCESS) q += ACCESS_FRAME;
      else if (t === TAG_NESTED) q += NESTED_FRAME;
      else if (t === TAG_CHECK) return q + CHECK_FRAME <= n ? q : -1;
      else if (t === TAG_STRING) q += q + STRING_HEAD <= n ? STRING_HEAD + (b[q + 1]! | (b[q + 2]! << 8)) : n;
      else if (t === TAG_JSON && q + JSON_HEAD <= n) q += JSON_HEAD + b.readUInt32LE(q + 1);
      else return -1;
    }
    return -1;
  }

  /** A block [p, c) that does not match its check frame at `c`: none of its frames is decoded
   *  (its strings are numbered but unresolvable), one PACKED_CHECKSUM skip says so. */
  private dropBlock(b: Buffer, v: DataView, p: number, c: number): void {
    let records = 0;
    for (let q = p; q < c; q += this.frameLength(b, q)) {
      this.frame++;
      if (b[q] === TAG_STRING) this.strings.push(undefined);
      else records++;
    }
    this.frame++;
    this.check!.failed(v.getUint32(c + 1, true), crc32(b.subarray(p, c)), this.consumed + c, this.frame, records);
    this.endBlock();
  }

  /** Where a record goes: held for the block's check frame, or straight on. */
  protected out(r: CaptureRecord): void {
    if (this.holding) this.check!.hold(r);
    else this.emit(r);
  }

  /** Bytes of the frame at `p` (the magic line first), INCOMPLETE when its head is not all
   *  there yet, UNFRAMED when it cannot be a frame. */
  private frameLength(b: Buffer, p: number): number {
    if (!this.magicSeen) return PACKED_MAGIC_BYTES.length;
    const tag = b[p];
    if (tag === TAG_ACCESS) return ACCESS_FRAME;
    if (tag === TAG_NESTED) return NESTED_FRAME;
    if (tag === TAG_CHECK && this.check) return CHECK_FRAME;
    if (tag === TAG_STRING) return p + STRING_HEAD > b.length ? INCOMPLETE : STRING_HEAD + (b[p + 1]! | (b[p + 2]! << 8));
    if (tag !== TAG_JSON) return UNFRAMED;
    if (p + JSON_HEAD > b.length) return INCOMPLETE;
    const len = b.readUInt32LE(p + 1);
    return len > JSON_MAX ? UNFRAMED : JSON_HEAD + len;
  }

  private magic(b: Buffer, p: number): void {
    const magic = b.subarray(p, p + PACKED_MAGIC_BYTES.length);
    if (magic.equals(PACKED_MAGIC_BYTES)) {
      // The first block holds the magic line: its records are held (it was not looked ahead).
      this.check = new BlockCheck(this.emit);
      this.holding = true;
    } else if (!magic.equals(PACKED_MAGIC_V1_BYTES)) {
      throw new CfgscopeError('PACKED_BAD_MAGIC', `not a packed capture: the first line is not "${PACKED_MAGIC}" (or "${PACKED_MAGIC_V1}")`, { file: this.ctx.file, line: 1 });
    }
    this.magicSeen = true;
  }

  end(): void {
    const unverified = this.stopped ? '' : this.check?.release() ?? '';
    this.holding = false; // nothing more to verify: what follows goes straight on
    if (!this.stopped && this.carry && this.carry.length > 0) {
      const what = this.magicSeen ? `the last frame is cut off after ${this.carry.length} bytes (a capture cut off mid-write)` : 'the file is shorter than the packed magic line';
      this.skip('PACKED_TRUNCATED', `${what}, at byte ${this.consumed}${unverified}`);
    } else if (unverified) {
      // Every v2 writer ends the file with a check frame: records after the last one were cut off
      // at a frame boundary (or the file was written by something else).
      this.skip('PACKED_TRUNCATED', `the file ends without a checksum frame after its last records${unverified}`);
    }
    this.carry = null;
    this.json.end();
    this.legacy.end();
  }

  /** Frames have no delimiter to find the next one by: after a bad frame nothing more is read. */
  private unframed(p: number, b: Buffer): void {
    this.stopped = true;
    this.carry = null;
    const unverified = this.check?.release() ?? '';
    this.holding = false;
    const why = b[p] === TAG_JSON ? `a JSON frame says it is ${b.readUInt32LE(p + 1)} bytes long` : `unknown frame tag ${hex2(b[p]!)}`;
    this.skip('PACKED_BAD_FRAME', `${why} at byte ${this.consumed + p}: the file cannot be framed from there, and the rest of it is not read${unverified}`);
  }

  /** `line` defaults to the frame after the last one read (a cut or unframed one). */
  protected skip(code: string, message: string, line = this.frame + 1, text = ''): void {
    this.out({ t: 'skipped', code, message, line, text });
  }


}
