// One frame of the packed encoding (./packed-layout.ts, docs/capture-format.md) into its record:
// an access frame decoded straight from the file's bytes into the record the NDJSON form gives
// (the same keys in the same order), a nested frame likewise, each checked against the format's
// ranges, and the string table they name strings from. Framing, blocks and checksums are
// ./packed.ts's, which extends this.

import type { AccessRecord, CaptureRecord, Layer, NestedRecord } from '../model/records.js';
import { accessProblem, CONFIG_SPACE, isLayer, nestedProblem } from '../model/record-check.js';
import { A, ACCESS_SHAPES, ATTRIBUTED, F, N, shapeKeys } from './packed-layout.js';

/** Little-endian integers read inline: Buffer's read methods check their arguments on every call. */
export const u32 = (b: Buffer, p: number): number => (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
const i32 = (b: Buffer, p: number): number => b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

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
  /** A double is read by copying its 8 bytes here (frames are not 8-byte aligned in the file). */
  private readonly f64 = new Float64Array(1);
  private readonly f64Bytes = new Uint8Array(this.f64.buffer);

  /** A record decoded. */
  protected abstract out(r: CaptureRecord): void;
  /** A frame skipped with a code; `line` defaults to the frame after the last one read. */
  protected abstract skip(code: string, message: string, line?: number, text?: string): void;

  /** A decoded frame out of the format's ranges (a size of 3, an offset past 4095...) is
   *  skipped like the same record in NDJSON, with the frame's byte offset. */
  protected bad(kind: string, at: number, problem: string, r: CaptureRecord): void {
    this.skip('CAPTURE_BAD_RECORD', `${kind} frame at byte ${this.consumed + at}: ${problem}`, this.frame, JSON.stringify(r).slice(0, 240));
  }

  private double(b: Buffer, p: number): number {
    if (!LITTLE_ENDIAN_HOST) return b.readDoubleLE(p);
    const d = this.f64Bytes;
    for (let i = 0; i < 8; i++) d[i] = b[p + i]!;
    return this.f64[0]!;
  }

  protected str(id: number): string | undefined {
    return this.strings[id];
  }

  protected nested(b: Buffer, p: number): void {
    const layer = this.str(u32(b, p + 4));
    if (layer === undefined) return this.skip('CAPTURE_BAD_RECORD', `nested frame at byte ${this.consumed + p}: string number not defined in this file (or defined in a block that failed its checksum)`, this.frame);
    if (!this.sawHeader) return this.skip('CAPTURE_NO_HEADER', 'record before the header', this.frame);
    const r: NestedRecord = { t: 'nested', layer, of: b[p + 1] === 1 ? null : u32(b, p + 8), line: u32(b, p + 12) };
    const problem = nestedProblem(r);
    if (problem !== null) return this.bad('nested', p, problem, r);
    this.out(r);
  }

  protected access(b: Buffer, p: number): void {
    const shape = b[p + A.shape]!;
    const opByte = b[p + A.op]!;
    const nulls = b[p + A.nulls]! | (b[p + A.nulls + 1]! << 8);
    const comm = nulls & N.comm ? null : this.str(u32(b, p + A.comm));
    const layer = this.str(b[p + A.layer]! | (b[p + A.layer + 1]! << 8));
    const fn = nulls & N.fn ? null : this.str(u32(b, p + A.fn));
    const model = this.hasModel[shape] ? this.str(u32(b, p + A.model)) : null;
    if (shape >= ACCESS_SHAPES.length || opByte > 1 || comm === undefined || layer === undefined || fn === undefined || model === undefined) {
      return this.skip('CAPTURE_BAD_RECORD', `access frame at byte ${this.consumed + p}: shape ${shape}, op ${opByte} or a string number is not one this file defines (or one from a block that failed its checksum)`, this.frame);
    }
    if (!this.sawHeader) return this.skip('CAPTURE_NO_HEADER', 'record before the header', this.frame);
    const ts = nulls & N.ts ? null : this.double(b, p + A.ts);
    const cpu = nulls & N.cpu ? null : i32(b, p + A.cpu);
    const pid = nulls & N.pid ? null : i32(b, p + A.pid);
    const op = opByte === 1 ? 'w' : 'r';
    const seg = nulls & N.seg ? null : b[p + A.seg]! | (b[p + A.seg + 1]! << 8);
    const bus = nulls & N.bus ? null : b[p + A.bus]!;
    const devfn = nulls & N.devfn ? null : b[p + A.devfn]!;
    const off = nulls & N.off ? null : b[p + A.off]! | (b[p + A.off + 1]! << 8);
    const size = b[p + A.size]! as 1 | 2 | 4;
    const val = nulls & N.val ? null : u32(b, p + A.val);
    const ret = nulls & N.ret ? null : i32(b, p + A.ret);
    const stack = nulls & N.stack ? null : u32(b, p + A.stack);
    const known = (b[p + A.flags]! & F.known) !== 0;
    const sizeGuessed = (b[p + A.flags]! & F.sizeGuessed) !== 0;
    const l = layer as Layer;
    // One literal per shape (./packed-layout.ts ACCESS_SHAPES): the key order is the record's.
    let r: AccessRecord;
    switch (shape) {
      case 0: r = { t: 'access', ts, cpu, pid, comm, op, seg, bus, devfn, off, size, val, ret, layer: l, fn, stack, known, line: u32(b, p + A.line) }; break;
      case 1: r = { t: 'access', ts, cpu, pid, comm, op, seg, bus, devfn, off, size, val, ret, layer: l, fn, stack, known, line: u32(b, p + A.line), attributed: ATTRIBUTED }; break;
      case 2: r = { t: 'access', ts, cpu, pid, comm, op, seg, bus, devfn, off, size, val, ret, layer: l, fn, stack, known, sizeGuessed, model: model! }; break;
      default: r = { t: 'access', ts, cpu, pid, comm, model: model!, op, seg, bus, devfn, off, size, val, ret, layer: l, fn, stack, known, line: u32(b, p + A.line), sizeGuessed }; break;
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
      if (problem !== null) return this.bad('access', p, problem, r);
    }
    this.out(r);
  }
}
