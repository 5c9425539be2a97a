// A hand-written reader for the lines that make up nearly all of a capture: access (and nested)
// records exactly as CaptureWriter emits them (JSON.stringify of the parsers' records: fixed key
// order, no whitespace, ASCII strings without escapes). It reads the line's bytes straight from
// the file buffer: no UTF-8 decoding of the line, no JSON.parse, no shape check afterwards, and
// the short strings (comm, fn, layer) come from a small intern table instead of a new string each.
// It is strict on purpose: anything it does not recognise exactly (another key order, an unknown
// key, whitespace, an escape or a non-ASCII byte, a number it cannot convert exactly) makes it
// answer null, and the caller decodes the line and uses JSON.parse, so what a capture means never
// depends on which path read it (test/parsers/capture-access-scanner.test.ts holds it to that).

import type { AccessRecord, Layer, NestedRecord } from '../model/records.js';
import { bytesOf as enc, JsonByteReader } from './json-byte-reader.js';

const ACCESS = enc('{"t":"access","ts":');
const NESTED = enc('{"t":"nested","layer":');
const K_CPU = enc(',"cpu":');
const K_PID = enc(',"pid":');
const K_COMM = enc(',"comm":');
const K_MODEL = enc(',"model":');
const K_OP = enc(',"op":');
const K_SEG = enc(',"seg":');
const K_BUS = enc(',"bus":');
const K_DEVFN = enc(',"devfn":');
const K_OFF = enc(',"off":');
const K_SIZE = enc(',"size":');
const K_VAL = enc(',"val":');
const K_RET = enc(',"ret":');
const K_LAYER = enc(',"layer":');
const K_FN = enc(',"fn":');
const K_STACK = enc(',"stack":');
const K_KNOWN = enc(',"known":');
const K_LINE = enc(',"line":');
const K_OF = enc(',"of":');
const K_ATTRIBUTED = enc(',"attributed":');
const K_SIZE_GUESSED = enc(',"sizeGuessed":');

/** Intern slots of the string fields: comm, model, layer, fn, attributed, a nested record's layer. */
const STRING_SLOTS = 6;
const QUOTE = 0x22;

/** One scanner per capture parser: its scratch values and intern table live in it (the token
 *  reading is JsonByteReader's), nothing global. */
export class AccessLineScanner extends JsonByteReader {
  /** Whether the last access scan() returned is inside the format's ranges, told from the values
   *  as they were read (a few integer tests, no second pass over the record). When false the
   *  caller asks model/record-check.ts accessProblem, which decides and names the field; when
   *  true accessProblem would say null (test/parsers/capture-access-scanner.test.ts). */
  inRange = false;

  constructor() {
    super(STRING_SLOTS);
  }

  /** The record on bytes [start, end) of `buf` (no newline), or null when it is not exactly in
   *  the writer's access or nested shape. */
  scan(buf: Uint8Array, start: number, end: number): AccessRecord | NestedRecord | null {
    this.reset(buf, end);
    let p = this.lit(start, ACCESS);
    if (p !== -1) return this.access(p);
    p = this.lit(start, NESTED);
    if (p !== -1) return this.nested(p);
    return null;
  }

  /** For text already decoded (tests, a live pipe): same answer as scan() on its UTF-8 bytes. */
  scanText(text: string): AccessRecord | NestedRecord | null {
    const bytes = Buffer.from(text, 'utf8');
    return this.scan(bytes, 0, bytes.length);
  }

  private access(at: number): AccessRecord | null {
    let p = this.numOrNull(at);
    const ts = this.value();
    p = this.numOrNull(this.lit(p, K_CPU));
    const cpu = this.value();
    p = this.numOrNull(this.lit(p, K_PID));
    const pid = this.value();
    p = this.strOrNull(this.lit(p, K_COMM), 0);
    const comm = this.str;
    let model: string | undefined;
    const m = this.lit(p, K_MODEL);
    if (m !== -1) {
      p = this.string(m, 1);
      model = this.str ?? undefined;
    }
    p = this.lit(p, K_OP);
    let op: 'r' | 'w' = 'r';
    if (p !== -1 && p + 3 <= this.end && this.b[p] === QUOTE && this.b[p + 2] === QUOTE && (this.b[p + 1] === 0x72 || this.b[p + 1] === 0x77)) {
      op = this.b[p + 1] === 0x72 ? 'r' : 'w';
      p += 3;
    } else {
      p = -1;
    }
    p = this.numOrNull(this.lit(p, K_SEG));
    const seg = this.value();
    p = this.numOrNull(this.lit(p, K_BUS));
    const bus = this.value();
    p = this.numOrNull(this.lit(p, K_DEVFN));
    const devfn = this.value();
    p = this.numOrNull(this.lit(p, K_OFF));
    const off = this.value();
    p = this.number(this.lit(p, K_SIZE));
    const size = this.num;
    p = this.numOrNull(this.lit(p, K_VAL));
    const val = this.value();
    p = this.numOrNull(this.lit(p, K_RET));
    const ret = this.value();
    p = this.string(this.lit(p, K_LAYER), 2);
    const layer = this.str;
    p = this.strOrNull(this.lit(p, K_FN), 3);
    const fn = this.str;
    p = this.numOrNull(this.lit(p, K_STACK));
    const stack = this.value();
    p = this.bool(this.lit(p, K_KNOWN));
    const known = this.num === 1;
    if (p === -1 || layer === null) return null;
    let inRange = (size === 1 || size === 2 || size === 4)
      && (known
        ? seg !== null && (seg & 0xffff) === seg && bus !== null && (bus & 0xff) === bus && devfn !== null && (devfn & 0xff) === devfn
          && off !== null && (off & 0xfff) === off && off + size <= 4096
          && (val === null || (size === 4 ? val >>> 0 === val : (val & (size === 1 ? 0xff : 0xffff)) === val))
        : seg === null && bus === null && devfn === null && off === null && val === null)
      && (ts === null || ts - ts === 0)
      && (cpu === null || ((cpu | 0) === cpu && cpu >= 0)) && (pid === null || ((pid | 0) === pid && pid >= 0))
      && (ret === null || (ret | 0) === ret) && (stack === null || stack >>> 0 === stack)
      && (layer === 'bus' || layer === 'device' || layer === 'user' || layer === 'raw' || layer === 'acpi' || layer === 'early');
    // Key order follows the line, so the record re-serialises to the same bytes.
    const r: AccessRecord = model === undefined
      ? { t: 'access', ts, cpu, pid, comm, op, seg, bus, devfn, off, size: size as 1 | 2 | 4, val, ret, layer: layer as Layer, fn, stack, known }
      : { t: 'access', ts, cpu, pid, comm, model, op, seg, bus, devfn, off, size: size as 1 | 2 | 4, val, ret, layer: layer as Layer, fn, stack, known };
    // The optional keys after `known`, each at most once, in the order they appear.
    while (p !== -1 && p < this.end - 1) {
      let q: number;
      if (r.line === undefined && (q = this.lit(p, K_LINE)) !== -1) {
        p = this.number(q);
        r.line = this.num;
        if (this.num >>> 0 !== this.num) inRange = false;
      } else if (r.attributed === undefined && (q = this.lit(p, K_ATTRIBUTED)) !== -1) {
        p = this.string(q, 4);
        r.attributed = this.str as 'device-log';
        if (this.str !== 'device-log') inRange = false;
      } else if (r.sizeGuessed === undefined && (q = this.lit(p, K_SIZE_GUESSED)) !== -1) {
        p = this.bool(q);
        r.sizeGuessed = this.num === 1;
      } else if (r.model === undefined && (q = this.lit(p, K_MODEL)) !== -1) {
        // Device-side writes added by `import --attribute` name the emulated model last.
        p = this.string(q, 1);
        if (this.str === null) return null;
        r.model = this.str;
      } else {
        return null;
      }
    }
    this.inRange = inRange;
    return this.closed(p) ? r : null;
  }

  private nested(at: number): NestedRecord | null {
    let p = this.string(at, 5);
    const layer = this.str;
    p = this.numOrNull(this.lit(p, K_OF));
    const of = this.value();
    p = this.number(this.lit(p, K_LINE));
    const line = this.num;
    if (p === -1 || layer === null) return null;
    const r: NestedRecord = { t: 'nested', layer, of, line };
    return this.closed(p) ? r : null;
  }
}
