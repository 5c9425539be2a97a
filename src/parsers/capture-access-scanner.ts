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

const enc = (s: string): Uint8Array => new Uint8Array([...s].map((c) => c.charCodeAt(0)));

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
const NULL = enc('null');
const TRUE = enc('true');
const FALSE = enc('false');

/** Integers, and decimal mantissas, up to this many digits are exact in a double. */
const MAX_EXACT_DIGITS = 15;
/** Powers of ten that are exact doubles: m / 10^k is then correctly rounded, as JSON.parse's. */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
/** Distinct short strings kept; beyond this a string is decoded each time (memory stays bounded). */
const INTERN_LIMIT = 4096;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const CLOSE = 0x7d;
const isDigit = (c: number): boolean => c >= ZERO && c <= NINE;

/** One scanner per capture parser: its cursor and intern table live in it, nothing global. */
export class AccessLineScanner {
  private b: Uint8Array = ACCESS;
  private p = 0;
  private end = 0;
  /** Set when the scan met something it does not read; the caller then uses JSON.parse. */
  private failed = false;
  private readonly interned = new Map<number, string>();

  /** The record on bytes [start, end) of `buf` (no newline), or null when it is not exactly in
   *  the writer's access or nested shape. */
  scan(buf: Uint8Array, start: number, end: number): AccessRecord | NestedRecord | null {
    this.b = buf;
    this.p = start;
    this.end = end;
    this.failed = false;
    if (this.lit(ACCESS)) return this.access();
    if (this.lit(NESTED)) return this.nested();
    return null;
  }

  /** For text already decoded (tests, a live pipe): same answer as scan() on its UTF-8 bytes. */
  scanText(text: string): AccessRecord | NestedRecord | null {
    const bytes = Buffer.from(text, 'utf8');
    return this.scan(bytes, 0, bytes.length);
  }

  private access(): AccessRecord | null {
    const ts = this.numOrNull();
    const cpu = this.key(K_CPU) ? this.numOrNull() : null;
    const pid = this.key(K_PID) ? this.numOrNull() : null;
    const comm = this.key(K_COMM) ? this.strOrNull() : null;
    const model = this.lit(K_MODEL) ? this.str() : undefined;
    const op = this.key(K_OP) ? this.op() : 'r';
    const seg = this.key(K_SEG) ? this.numOrNull() : null;
    const bus = this.key(K_BUS) ? this.numOrNull() : null;
    const devfn = this.key(K_DEVFN) ? this.numOrNull() : null;
    const off = this.key(K_OFF) ? this.numOrNull() : null;
    const size = this.key(K_SIZE) ? this.num() : 0;
    const val = this.key(K_VAL) ? this.numOrNull() : null;
    const ret = this.key(K_RET) ? this.numOrNull() : null;
    const layer = this.key(K_LAYER) ? this.str() : undefined;
    const fn = this.key(K_FN) ? this.strOrNull() : null;
    const stack = this.key(K_STACK) ? this.numOrNull() : null;
    const known = this.key(K_KNOWN) ? this.bool() : undefined;
    if (this.failed || layer === undefined || known === undefined) return null;
    // Key order follows the line, so the record re-serialises to the same bytes.
    const r: AccessRecord = model === undefined
      ? { t: 'access', ts, cpu, pid, comm, op, seg, bus, devfn, off, size: size as 1 | 2 | 4, val, ret, layer: layer as Layer, fn, stack, known }
      : { t: 'access', ts, cpu, pid, comm, model, op, seg, bus, devfn, off, size: size as 1 | 2 | 4, val, ret, layer: layer as Layer, fn, stack, known };
    // The optional keys after `known`, each at most once, in the order they appear.
    while (!this.failed && this.p < this.end - 1) {
      if (r.line === undefined && this.lit(K_LINE)) r.line = this.num();
      else if (r.attributed === undefined && this.lit(K_ATTRIBUTED)) r.attributed = this.str() as 'device-log';
      else if (r.sizeGuessed === undefined && this.lit(K_SIZE_GUESSED)) r.sizeGuessed = this.bool();
      else return null;
    }
    return this.closed() ? r : null;
  }

  private nested(): NestedRecord | null {
    const layer = this.str();
    const of = this.key(K_OF) ? this.numOrNull() : null;
    const line = this.key(K_LINE) ? this.num() : 0;
    if (layer === undefined) return null;
    const r: NestedRecord = { t: 'nested', layer, of, line };
    return this.closed() ? r : null;
  }

  private closed(): boolean {
    return !this.failed && this.p === this.end - 1 && this.b[this.p] === CLOSE;
  }

  /** Consumes `k` when the bytes at the cursor are exactly it. */
  private lit(k: Uint8Array): boolean {
    const b = this.b;
    const p = this.p;
    if (p + k.length > this.end) return false;
    for (let i = 0; i < k.length; i++) if (b[p + i] !== k[i]) return false;
    this.p = p + k.length;
    return true;
  }

  /** A required key: its absence fails the scan. */
  private key(k: Uint8Array): boolean {
    if (this.failed) return false;
    if (this.lit(k)) return true;
    this.failed = true;
    return false;
  }

  private op(): 'r' | 'w' {
    const b = this.b;
    const p = this.p;
    if (p + 3 <= this.end && b[p] === QUOTE && b[p + 2] === QUOTE) {
      this.p = p + 3;
      if (b[p + 1] === 0x72) return 'r';
      if (b[p + 1] === 0x77) return 'w';
    }
    this.failed = true;
    return 'r';
  }

  private bool(): boolean | undefined {
    if (this.lit(TRUE)) return true;
    if (this.lit(FALSE)) return false;
    this.failed = true;
    return undefined;
  }

  private numOrNull(): number | null {
    if (this.failed) return null;
    return this.lit(NULL) ? null : this.num();
  }

  /** A JSON number (RFC 8259 grammar, checked here). Exact: integers and decimals of up to 15
   *  digits are computed (m / 10^k is correctly rounded); anything longer goes through Number(). */
  private num(): number {
    if (this.failed) return 0;
    const b = this.b;
    const end = this.end;
    const start = this.p;
    let i = start;
    const neg = b[i] === MINUS;
    if (neg) i++;
    if (i >= end || !isDigit(b[i]!)) return this.fail();
    let m = 0;
    let digits = 0;
    if (b[i] === ZERO) {
      i++;
    } else {
      while (i < end && isDigit(b[i]!)) { m = m * 10 + (b[i]! - ZERO); digits++; i++; }
    }
    let frac = 0;
    if (i < end && b[i] === DOT) {
      i++;
      if (i >= end || !isDigit(b[i]!)) return this.fail();
      while (i < end && isDigit(b[i]!)) { m = m * 10 + (b[i]! - ZERO); frac++; i++; }
      digits += frac;
    }
    let exact = digits <= MAX_EXACT_DIGITS;
    if (i < end && (b[i] === 0x65 || b[i] === 0x45)) {
      exact = false;
      i++;
      if (i < end && (b[i] === PLUS || b[i] === MINUS)) i++;
      if (i >= end || !isDigit(b[i]!)) return this.fail();
      while (i < end && isDigit(b[i]!)) i++;
    }
    this.p = i;
    if (!exact) return Number(Buffer.from(b.buffer, b.byteOffset + start, i - start).toString('latin1'));
    const v = frac === 0 ? m : m / POW10[frac]!;
    return neg ? -v : v;
  }

  private fail(): number {
    this.failed = true;
    return 0;
  }

  private strOrNull(): string | null {
    if (this.failed) return null;
    return this.lit(NULL) ? null : this.str() ?? null;
  }

  /** A string of printable ASCII without escapes (anything else: not this scanner's job). */
  private str(): string | undefined {
    const b = this.b;
    if (this.failed || b[this.p] !== QUOTE) { this.failed = true; return undefined; }
    const start = this.p + 1;
    let i = start;
    let h = 0;
    for (; i < this.end; i++) {
      const c = b[i]!;
      if (c === QUOTE) break;
      if (c === BACKSLASH || c < 0x20 || c >= 0x7f) { this.failed = true; return undefined; }
      h = (Math.imul(h, 31) + c) | 0;
    }
    if (i >= this.end) { this.failed = true; return undefined; }
    this.p = i + 1;
    const len = i - start;
    const key = (h ^ Math.imul(len, 0x9e3779b1)) | 0;
    const known = this.interned.get(key);
    if (known !== undefined && known.length === len) {
      let same = true;
      for (let k = 0; k < len; k++) if (known.charCodeAt(k) !== b[start + k]) { same = false; break; }
      if (same) return known;
    }
    const s = len <= 64
      ? String.fromCharCode.apply(null, b.subarray(start, i) as unknown as number[])
      : Buffer.from(b.buffer, b.byteOffset + start, len).toString('latin1');
    if (known === undefined && this.interned.size < INTERN_LIMIT) this.interned.set(key, s);
    return s;
  }
}
