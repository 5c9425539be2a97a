// Capture records -> the packed encoding (src/parsers/packed-layout.ts). An access record is
// packed only when the frame holds it exactly (one of the known key orders, integers in the
// frame's ranges); anything else is written as its NDJSON line in a JSON frame, so the decoder
// gives back records equal to the ones written, in the same key order. Every CHECK_BLOCK bytes
// (at a frame boundary) and at every flush a check frame carries the CRC-32 of the bytes since the
// previous one, so a reader detects a flipped bit instead of reading a changed record.

import type { AccessRecord, CaptureRecord, NestedRecord } from '../model/records.js';
import {
  A, ACCESS_FRAME, ACCESS_SHAPES, ATTRIBUTED, CHECK_BLOCK, CHECK_FRAME, F, JSON_HEAD, N, NESTED_FRAME, NESTED_KEYS, PACKED_MAGIC_BYTES,
  shapeKeys, STRING_HEAD, TAG_ACCESS, TAG_CHECK, TAG_JSON, TAG_NESTED, TAG_STRING, type ShapeKeys,
} from '../parsers/packed-layout.js';
import { crc32 } from '../parsers/crc32.js';
import type { SyncWriter } from './sync-writer.js';

const BUFFER = 1 << 20;
const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const U16 = 0xffff;
const U32 = 0xffffffff;
const I32_MIN = -0x80000000;
const I32_MAX = 0x7fffffff;
const nullOr = (v: unknown, min: number, max: number): boolean => v === null || isInt(v, min, max);
/** A string a string frame holds (u16 length). */
const str = (v: unknown): boolean => typeof v === 'string' && Buffer.byteLength(v, 'utf8') <= U16;

export class PackedEncoder {
  private readonly buf = Buffer.allocUnsafe(BUFFER);
  private pos = 0;
  /** CRC-32 of the bytes since the last check frame that are no longer in `buf` (written out),
   *  and where in `buf` the bytes it does not cover yet start. */
  private crc = 0;
  private crcFrom = 0;
  /** Bytes written since the last check frame (in `buf` or already out). */
  private sinceCheck = 0;
  private readonly strings = new Map<string, number>();
  private readonly shapes = new Map<string, [number, ShapeKeys]>(ACCESS_SHAPES.map((s, i) => [s, [i, shapeKeys(i)]]));

  constructor(private readonly out: SyncWriter) {
    this.bytes(PACKED_MAGIC_BYTES);
  }

  record(r: CaptureRecord): void {
    if (this.sinceCheck >= CHECK_BLOCK) this.check(); // between two frames
    if (r.t === 'access' && this.access(r)) return;
    if (r.t === 'nested' && this.nested(r)) return;
    const text = Buffer.from(JSON.stringify(r), 'utf8');
    this.room(JSON_HEAD);
    this.buf[this.pos] = TAG_JSON;
    this.buf.writeUInt32LE(text.length, this.pos + 1);
    this.pos += JSON_HEAD;
    this.sinceCheck += JSON_HEAD;
    this.bytes(text);
    // A JSON frame (header, device, stack...) is a block of its own: a damaged access block then
    // never takes the header or a device's identity with it.
    this.check();
  }

  /** Closes the block with a check frame and writes what is buffered (before the file is
   *  closed, or periodically by a live writer): every byte written out is then covered. */
  flush(): void {
    if (this.sinceCheck > 0) this.check();
    this.drain();
  }

  /** A check frame for the bytes since the previous one. */
  private check(): void {
    this.room(CHECK_FRAME);
    const crc = crc32(this.buf.subarray(this.crcFrom, this.pos), this.crc);
    this.buf[this.pos] = TAG_CHECK;
    this.buf.writeUInt32LE(crc, this.pos + 1);
    this.pos += CHECK_FRAME;
    this.crc = 0;
    this.crcFrom = this.pos;
    this.sinceCheck = 0;
  }

  /** Writes the buffer out (anywhere, even inside a frame), folding what it held into the CRC. */
  private drain(): void {
    if (this.pos === 0) return;
    this.crc = crc32(this.buf.subarray(this.crcFrom, this.pos), this.crc);
    this.out.writeBytes(this.buf.subarray(0, this.pos)); // written before it returns: the buffer is free again
    this.pos = 0;
    this.crcFrom = 0;
  }

  /** false when the record does not fit an access frame exactly (it then goes as JSON). */
  private access(r: AccessRecord): boolean {
    const shape = this.shapes.get(Object.keys(r).join(','));
    if (!shape || !this.fits(r, shape[1])) return false;
    const [id, keys] = shape;
    // Strings first: their frames must precede the access frame that names them.
    const comm = r.comm === null ? 0 : this.string(r.comm);
    const layer = this.string(r.layer);
    const fn = r.fn === null ? 0 : this.string(r.fn);
    const model = keys.model ? this.string(r.model!) : 0;
    if (layer > U16) return false; // more than 65536 distinct strings before this layer name
    this.room(ACCESS_FRAME);
    const b = this.buf;
    const p = this.pos;
    b.fill(0, p, p + ACCESS_FRAME);
    b[p] = TAG_ACCESS;
    b[p + A.shape] = id;
    b[p + A.op] = r.op === 'w' ? 1 : 0;
    b[p + A.size] = r.size;
    let nulls = 0;
    if (r.ts === null) nulls |= N.ts; else b.writeDoubleLE(r.ts + 0, p + A.ts); // + 0: -0 is 0 in JSON
    if (r.cpu === null) nulls |= N.cpu; else b.writeInt32LE(r.cpu, p + A.cpu);
    if (r.pid === null) nulls |= N.pid; else b.writeInt32LE(r.pid, p + A.pid);
    if (r.comm === null) nulls |= N.comm; else b.writeUInt32LE(comm, p + A.comm);
    if (r.seg === null) nulls |= N.seg; else b.writeUInt16LE(r.seg, p + A.seg);
    if (r.bus === null) nulls |= N.bus; else b[p + A.bus] = r.bus;
    if (r.devfn === null) nulls |= N.devfn; else b[p + A.devfn] = r.devfn;
    if (r.off === null) nulls |= N.off; else b.writeUInt16LE(r.off, p + A.off);
    b.writeUInt16LE(layer, p + A.layer);
    if (r.val === null) nulls |= N.val; else b.writeUInt32LE(r.val, p + A.val);
    if (r.ret === null) nulls |= N.ret; else b.writeInt32LE(r.ret, p + A.ret);
    if (r.fn === null) nulls |= N.fn; else b.writeUInt32LE(fn, p + A.fn);
    if (r.stack === null) nulls |= N.stack; else b.writeUInt32LE(r.stack, p + A.stack);
    if (keys.line) b.writeUInt32LE(r.line!, p + A.line);
    if (keys.model) b.writeUInt32LE(model, p + A.model);
    b.writeUInt16LE(nulls, p + A.nulls);
    b[p + A.flags] = (r.known ? F.known : 0) | (r.sizeGuessed ? F.sizeGuessed : 0);
    this.pos += ACCESS_FRAME;
    this.sinceCheck += ACCESS_FRAME;
    return true;
  }

  private nested(r: NestedRecord): boolean {
    if (Object.keys(r).join(',') !== NESTED_KEYS || !str(r.layer)) return false;
    if (!(r.of === null || isInt(r.of, 0, U32)) || !isInt(r.line, 0, U32)) return false;
    const layer = this.string(r.layer);
    this.room(NESTED_FRAME);
    const b = this.buf;
    const p = this.pos;
    b.fill(0, p, p + NESTED_FRAME);
    b[p] = TAG_NESTED;
    b[p + 1] = r.of === null ? 1 : 0;
    b.writeUInt32LE(layer, p + 4);
    b.writeUInt32LE(r.of ?? 0, p + 8);
    b.writeUInt32LE(r.line, p + 12);
    this.pos += NESTED_FRAME;
    this.sinceCheck += NESTED_FRAME;
    return true;
  }

  /** Every value in the range and type its frame field holds (and strings fit a string frame). */
  private fits(r: AccessRecord, keys: ShapeKeys): boolean {
    return (r.ts === null || (typeof r.ts === 'number' && Number.isFinite(r.ts)))
      && nullOr(r.cpu, I32_MIN, I32_MAX) && nullOr(r.pid, I32_MIN, I32_MAX) && (r.comm === null || str(r.comm))
      && (r.op === 'r' || r.op === 'w')
      && nullOr(r.seg, 0, U16) && nullOr(r.bus, 0, 0xff) && nullOr(r.devfn, 0, 0xff) && nullOr(r.off, 0, U16)
      && isInt(r.size, 0, 0xff) && nullOr(r.val, 0, U32) && nullOr(r.ret, I32_MIN, I32_MAX)
      && str(r.layer) && (r.fn === null || str(r.fn)) && nullOr(r.stack, 0, U32) && typeof r.known === 'boolean'
      && (!keys.line || isInt(r.line, 0, U32))
      && (!keys.attributed || r.attributed === ATTRIBUTED)
      && (!keys.sizeGuessed || typeof r.sizeGuessed === 'boolean')
      && (!keys.model || str(r.model));
  }

  private string(s: string): number {
    let id = this.strings.get(s);
    if (id !== undefined) return id;
    id = this.strings.size;
    this.strings.set(s, id);
    const bytes = Buffer.from(s, 'utf8');
    this.room(STRING_HEAD);
    this.buf[this.pos] = TAG_STRING;
    this.buf.writeUInt16LE(bytes.length, this.pos + 1);
    this.pos += STRING_HEAD;
    this.sinceCheck += STRING_HEAD;
    this.bytes(bytes);
    return id;
  }

  private bytes(data: Uint8Array): void {
    this.sinceCheck += data.length;
    if (data.length > BUFFER) {
      this.drain();
      this.crc = crc32(data, this.crc);
      this.out.writeBytes(data);
      return;
    }
    this.room(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  private room(n: number): void {
    if (this.pos + n > BUFFER) this.drain();
  }
}
