// One frame of the packed encoding (./packed-layout.ts, docs/capture-format.md) into its record:
// an access frame decoded straight from the file's bytes into the record the NDJSON form gives
// (the same keys in the same order), a nested frame likewise, each checked against the format's
// ranges, and the string table they name strings from. Framing, blocks and checksums are
// ./packed.ts's, which extends this.

import type { AccessRecord, CaptureRecord, Layer, NestedRecord } from '../model/records.js';
import { accessProblem, CONFIG_SPACE, isLayer, nestedProblem } from '../model/record-check.js';
import { A, ACCESS_SHAPES, ATTRIBUTED, F, N, shapeKeys } from './packed-layout.js';

/** A view of `b` for its little-endian fields. DataView's getters, not Buffer's read methods
 *  (which check their arguments on every call) nor byte-shifting helpers (which V8 stops inlining
 *  into a decoder this size: measured 55 ms per 1M access frames slower): the optimizing compiler
 *  turns each getter into one load. */
export const viewOf = (b: Buffer): DataView => new DataView(b.buffer, b.byteOffset, b.length);

export abstract class PackedFrameDecoder {
  /** Bytes before the buffer being framed: a frame's file offset is this plus its position. */
  protected consumed = 0;
  /** Records so far, the magic line being the first: the location of the next problem. */
  protected frame = 1;
  protected sawHeader = false;
  /** Strings by number; undefined for one defined in a block that failed its checksum. */
  protected readonly strings: (string | undefined)[] = [];
  private readonly hasModel = ACCESS_SHAPES.map((_, i) => shapeKeys(i).model);
  /** The last layer name found valid: frames come in runs of one layer. */
  private okLayer = '';

  /** A record decoded. */
  protected abstract out(r: CaptureRecord): void;
  /** A frame skipped with a code; `line` defaults to the frame after the last one read. */
  protected abstract skip(code: string, message: string, line?: number, text?: string): void;

  /** A decoded frame out of the format's ranges (a size of 3, an offset past 4095...) is
   *  skipped like the same record in NDJSON, with the frame's byte offset. */
  protected bad(kind: string, at: number, problem: string, r: CaptureRecord): void {
    this.skip('CAPTURE_BAD_RECORD', `${kind} frame at byte ${this.consumed + at}: ${problem}`, this.frame, JSON.stringify(r).slice(0, 240));
  }

  protected str(id: number): string | undefined {
    return this.strings[id];
  }

  /** The nested frame at `p` of `b` (`v`: viewOf(b)). */
  protected nested(b: Buffer, v: DataView, p: number): void {
    const layer = this.str(v.getUint32(p + 4, true));
    if (layer === undefined) return this.skip('CAPTURE_BAD_RECORD', `nested frame at byte ${this.consumed + p}: string number not defined in this file (or defined in a block that failed its checksum)`, this.frame);
    if (!this.sawHeader) return this.skip('CAPTURE_NO_HEADER', 'record before the header', this.frame);
    const r: NestedRecord = { t: 'nested', layer, of: b[p + 1] === 1 ? null : v.getUint32(p + 8, true), line: v.getUint32(p + 12, true) };
    const problem = nestedProblem(r);
    if (problem !== null) return this.bad('nested', p, problem, r);
    this.out(r);
  }

  /** The access frame at `p` of `b` (`v`: viewOf(b)): its record, or null when the frame was
   *  skipped (said through skip()). The caller sends the record on: emitted straight from a
   *  verified block, held otherwise. Returning it keeps that choice out of this function, which
   *  V8 inlines the next stages into (a held path seen late made it compile this one twice). */
  protected access(b: Buffer, v: DataView, p: number): AccessRecord | null {
    const shape = b[p + A.shape]!;
    const opByte = b[p + A.op]!;
    const nulls = v.getUint16(p + A.nulls, true);
    const comm = nulls & N.comm ? null : this.str(v.getUint32(p + A.comm, true));
    const layer = this.str(v.getUint16(p + A.layer, true));
    const fn = nulls & N.fn ? null : this.str(v.getUint32(p + A.fn, true));
    const model = this.hasModel[shape] ? this.str(v.getUint32(p + A.model, true)) : null;
    if (shape >= ACCESS_SHAPES.length || opByte > 1 || comm === undefined || layer === undefined || fn === undefined || model === undefined) {
      this.skip('CAPTURE_BAD_RECORD', `access frame at byte ${this.consumed + p}: shape ${shape}, op ${opByte} or a string number is not one this file defines (or one from a block that failed its checksum)`, this.frame);
      return null;
    }
    if (!this.sawHeader) {
      this.skip('CAPTURE_NO_HEADER', 'record before the header', this.frame);
      return null;
    }
    const ts = nulls & N.ts ? null : v.getFloat64(p + A.ts, true);
    const cpu = nulls & N.cpu ? null : v.getInt32(p + A.cpu, true);
    const pid = nulls & N.pid ? null : v.getInt32(p + A.pid, true);
    const op = opByte === 1 ? 'w' : 'r';
    const seg = nulls & N.seg ? null : v.getUint16(p + A.seg, true);
    const bus = nulls & N.bus ? null : b[p + A.bus]!;
    const devfn = nulls & N.devfn ? null : b[p + A.devfn]!;
    const off = nulls & N.off ? null : v.getUint16(p + A.off, true);
    const size = b[p + A.size]! as 1 | 2 | 4;
    const val = nulls & N.val ? null : v.getUint32(p + A.val, true);
    const ret = nulls & N.ret ? null : v.getInt32(p + A.ret, true);
    const stack = nulls & N.stack ? null : v.getUint32(p + A.stack, true);
    const known = (b[p + A.flags]! & F.known) !== 0;
    const sizeGuessed = (b[p + A.flags]! & F.sizeGuessed) !== 0;
    const l = layer as Layer;
    // One literal per shape (./packed-layout.ts ACCESS_SHAPES): the key order is the record's.
    let r: AccessRecord;
    switch (shape) {
      case 0: r = { t: 'access', ts, cpu, pid, comm, op, seg, bus, devfn, off, size, val, ret, layer: l, fn, stack, known, line: v.getUint32(p + A.line, true) }; break;
      case 1: r = { t: 'access', ts, cpu, pid, comm, op, seg, bus, devfn, off, size, val, ret, layer: l, fn, stack, known, line: v.getUint32(p + A.line, true), attributed: ATTRIBUTED }; break;
      case 2: r = { t: 'access', ts, cpu, pid, comm, op, seg, bus, devfn, off, size, val, ret, layer: l, fn, stack, known, sizeGuessed, model: model! }; break;
      default: r = { t: 'access', ts, cpu, pid, comm, model: model!, op, seg, bus, devfn, off, size, val, ret, layer: l, fn, stack, known, line: v.getUint32(p + A.line, true), sizeGuessed }; break;
    }
    // The frame's field types already bound bus, devfn (u8), seg (u16), ret (i32), stack and line
    // (u32); what they do not is checked here in a few comparisons, and only a frame that fails
    // goes through accessProblem, which names the field (the same validator as every reader).
    const target = nulls & (N.seg | N.bus | N.devfn | N.off);
    const ok = (size === 1 || size === 2 || size === 4)
      && (known ? target === 0 && off! + size <= CONFIG_SPACE && (val === null || size === 4 || val <= (size === 1 ? 0xff : 0xffff))
        : target === (N.seg | N.bus | N.devfn | N.off) && val === null)
      && (cpu === null || cpu >= 0) && (pid === null || pid >= 0) && (ts === null || ts - ts === 0)
      && (layer === this.okLayer || (isLayer(layer) && (this.okLayer = layer) !== ''));
    if (!ok) {
      const problem = accessProblem(r);
      if (problem !== null) {
        this.bad('access', p, problem, r);
        return null;
      }
    }
    return r;
  }
}
