// Reads the packed encoding of a capture (./packed-layout.ts, docs/capture-format.md): fixed
// access frames are decoded straight from the file's bytes into the same records the NDJSON form
// gives; JSON frames (every other record) go through the NDJSON capture parser, so header, shape
// and version checks are the same code. Locations count frames the way the NDJSON form counts
// lines: the magic line is record 1, each frame one more.

import { CfgscopeError } from '../model/errors.js';
import type { AccessRecord, CaptureRecord, Layer } from '../model/records.js';
import { captureFormat } from './capture.js';
import {
  A, ACCESS_FRAME, ACCESS_SHAPES, ATTRIBUTED, F, JSON_HEAD, JSON_MAX, N, NESTED_FRAME, PACKED_MAGIC, PACKED_MAGIC_BYTES,
  shapeKeys, STRING_HEAD, TAG_ACCESS, TAG_JSON, TAG_NESTED, TAG_STRING,
} from './packed-layout.js';
import type { InputFormat, LineParser, ParseContext, RecordSink } from './parser.js';

export const packedFormat: InputFormat = {
  kind: 'packed',
  name: 'cfgscope capture (packed)',
  detect: (head) => head.length > 0 && head[0] === PACKED_MAGIC,
  create: (ctx, emit) => new PackedParser(ctx, emit),
};

const hex2 = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;

class PackedParser implements LineParser {
  private carry: Buffer | null = null;
  /** Bytes before the buffer being framed: a frame's file offset is this plus its position. */
  private consumed = 0;
  /** Records so far, the magic line being the first: the location of the next problem. */
  private frame = 1;
  private magicSeen = false;
  private stopped = false;
  private sawHeader = false;
  private readonly strings: string[] = [];
  private readonly json: LineParser;
  private readonly hasModel = ACCESS_SHAPES.map((_, i) => shapeKeys(i).model);

  constructor(private readonly ctx: ParseContext, private readonly emit: RecordSink) {
    this.json = captureFormat.create(ctx, (r) => {
      if (r.t === 'header') this.sawHeader = true;
      emit(r);
    });
  }

  line(): void {
    // Sources feed chunk() to a parser that has it (src/sources/parser-feed.ts).
    throw new CfgscopeError('INPUT_READ_FAILED', 'a packed capture is read as bytes, not lines', { file: this.ctx.file });
  }

  chunk(data: Buffer): void {
    if (this.stopped) return;
    let b = data;
    if (this.carry) {
      b = Buffer.concat([this.carry, data]);
      this.carry = null;
    }
    let p = 0;
    if (!this.magicSeen) {
      const m = PACKED_MAGIC_BYTES.length;
      if (b.length < m) { this.carry = Buffer.from(b); return; }
      if (!b.subarray(0, m).equals(PACKED_MAGIC_BYTES)) {
        throw new CfgscopeError('PACKED_BAD_MAGIC', `not a packed capture: the first line is not "${PACKED_MAGIC}"`, { file: this.ctx.file, line: 1 });
      }
      this.magicSeen = true;
      p = m;
    }
    const n = b.length;
    while (p < n) {
      const tag = b[p];
      if (tag === TAG_ACCESS) {
        if (p + ACCESS_FRAME > n) break;
        this.frame++;
        this.access(b, p);
        p += ACCESS_FRAME;
      } else if (tag === TAG_NESTED) {
        if (p + NESTED_FRAME > n) break;
        this.frame++;
        this.nested(b, p);
        p += NESTED_FRAME;
      } else if (tag === TAG_STRING) {
        if (p + STRING_HEAD > n) break;
        const len = b.readUInt16LE(p + 1);
        if (p + STRING_HEAD + len > n) break;
        this.frame++;
        this.strings.push(b.toString('utf8', p + STRING_HEAD, p + STRING_HEAD + len));
        p += STRING_HEAD + len;
      } else if (tag === TAG_JSON) {
        if (p + JSON_HEAD > n) break;
        const len = b.readUInt32LE(p + 1);
        if (len > JSON_MAX) return this.unframed(p, `a JSON frame says it is ${len} bytes long`);
        if (p + JSON_HEAD + len > n) break;
        this.frame++;
        this.json.line(b.toString('utf8', p + JSON_HEAD, p + JSON_HEAD + len), this.frame);
        p += JSON_HEAD + len;
      } else {
        return this.unframed(p, `unknown frame tag ${hex2(tag!)}`);
      }
    }
    this.consumed += p;
    // Copied: the stream may reuse its buffer, and a small tail must not pin a whole chunk.
    if (p < n) this.carry = Buffer.from(b.subarray(p));
  }

  end(): void {
    if (!this.stopped && this.carry && this.carry.length > 0) {
      const what = this.magicSeen ? `the last frame is cut off after ${this.carry.length} bytes (a capture cut off mid-write)` : 'the file is shorter than the packed magic line';
      this.skip('PACKED_TRUNCATED', `${what}, at byte ${this.consumed}`);
    }
    this.carry = null;
    this.json.end();
  }

  /** Frames have no delimiter to find the next one by: after a bad frame nothing more is read. */
  private unframed(p: number, why: string): void {
    this.stopped = true;
    this.carry = null;
    this.skip('PACKED_BAD_FRAME', `${why} at byte ${this.consumed + p}: the file cannot be framed from there, and the rest of it is not read`);
  }

  private skip(code: string, message: string): void {
    this.emit({ t: 'skipped', code, message, line: this.frame + 1, text: '' });
  }

  private str(id: number): string | undefined {
    return this.strings[id];
  }

  private nested(b: Buffer, p: number): void {
    const layer = this.str(b.readUInt32LE(p + 4));
    if (layer === undefined) return this.skip('CAPTURE_BAD_RECORD', `nested frame at byte ${this.consumed + p}: string number not defined in this file`);
    if (!this.sawHeader) return this.skip('CAPTURE_NO_HEADER', 'record before the header');
    this.emit({ t: 'nested', layer, of: b[p + 1] === 1 ? null : b.readUInt32LE(p + 8), line: b.readUInt32LE(p + 12) });
  }

  private access(b: Buffer, p: number): void {
    const shape = b[p + A.shape]!;
    const opByte = b[p + A.op]!;
    const nulls = b[p + A.nulls]! | (b[p + A.nulls + 1]! << 8);
    const comm = nulls & N.comm ? null : this.str(b.readUInt32LE(p + A.comm));
    const layer = this.str(b[p + A.layer]! | (b[p + A.layer + 1]! << 8));
    const fn = nulls & N.fn ? null : this.str(b.readUInt32LE(p + A.fn));
    const model = this.hasModel[shape] ? this.str(b.readUInt32LE(p + A.model)) : null;
    if (shape >= ACCESS_SHAPES.length || opByte > 1 || comm === undefined || layer === undefined || fn === undefined || model === undefined) {
      return this.skip('CAPTURE_BAD_RECORD', `access frame at byte ${this.consumed + p}: shape ${shape}, op ${opByte} or a string number is not one this file defines`);
    }
    if (!this.sawHeader) return this.skip('CAPTURE_NO_HEADER', 'record before the header');
    const ts = nulls & N.ts ? null : b.readDoubleLE(p + A.ts);
    const cpu = nulls & N.cpu ? null : b.readInt32LE(p + A.cpu);
    const pid = nulls & N.pid ? null : b.readInt32LE(p + A.pid);
    const op = opByte === 1 ? 'w' : 'r';
    const seg = nulls & N.seg ? null : b[p + A.seg]! | (b[p + A.seg + 1]! << 8);
    const bus = nulls & N.bus ? null : b[p + A.bus]!;
    const devfn = nulls & N.devfn ? null : b[p + A.devfn]!;
    const off = nulls & N.off ? null : b[p + A.off]! | (b[p + A.off + 1]! << 8);
    const size = b[p + A.size]! as 1 | 2 | 4;
    const val = nulls & N.val ? null : b.readUInt32LE(p + A.val);
    const ret = nulls & N.ret ? null : b.readInt32LE(p + A.ret);
    const stack = nulls & N.stack ? null : b.readUInt32LE(p + A.stack);
    const known = (b[p + A.flags]! & F.known) !== 0;
    const sizeGuessed = (b[p + A.flags]! & F.sizeGuessed) !== 0;
    const l = layer as Layer;
    // One literal per shape (./packed-layout.ts ACCESS_SHAPES): the key order is the record's.
    let r: AccessRecord;
    switch (shape) {
      case 0: r = { t: 'access', ts, cpu, pid, comm, op, seg, bus, devfn, off, size, val, ret, layer: l, fn, stack, known, line: b.readUInt32LE(p + A.line) }; break;
      case 1: r = { t: 'access', ts, cpu, pid, comm, op, seg, bus, devfn, off, size, val, ret, layer: l, fn, stack, known, line: b.readUInt32LE(p + A.line), attributed: ATTRIBUTED }; break;
      case 2: r = { t: 'access', ts, cpu, pid, comm, op, seg, bus, devfn, off, size, val, ret, layer: l, fn, stack, known, sizeGuessed, model: model! }; break;
      default: r = { t: 'access', ts, cpu, pid, comm, model: model!, op, seg, bus, devfn, off, size, val, ret, layer: l, fn, stack, known, line: b.readUInt32LE(p + A.line), sizeGuessed }; break;
    }
    this.emit(r as CaptureRecord);
  }
}
