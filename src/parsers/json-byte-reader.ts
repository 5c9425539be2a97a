// Reads the tokens of one JSON line straight from its bytes, for AccessLineScanner
// (capture-access-scanner.ts): a key exactly as given, null, true/false, a number (RFC 8259's
// grammar, converted exactly or not at all) and a string of printable ASCII without escapes,
// interned. Strict on purpose: anything else is "not mine" (-1), and the caller falls back to
// JSON.parse, so what a line means never depends on which path read it.

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

/** Literal bytes of a key or token, compared byte for byte. */
export const bytesOf = (s: string): Uint8Array => Buffer.from(s, 'latin1');

const NULL = bytesOf('null');
const TRUE = bytesOf('true');
const FALSE = bytesOf('false');

/** Each helper takes the cursor and returns the next one, or -1 when the bytes are not what it
 *  reads (every later helper then returns -1 too); the value it read is left in `num` (with
 *  `numNull`) or `str`. One reader per parser: its scratch values and intern table are its own. */
export class JsonByteReader {
  protected b: Uint8Array = Buffer.alloc(0);
  protected end = 0;
  protected num = 0;
  protected numNull = false;
  protected str: string | null = null;
  private readonly interned = new Map<number, string>();
  /** The last string read in each slot (a field: comm, layer, fn, ...): consecutive records
   *  mostly repeat them, and comparing against it needs no hashing. */
  private readonly last: string[];

  constructor(slots: number) {
    this.last = Array.from({ length: slots }, () => '');
  }

  /** Reads from bytes [.., end) of `buf` from now on. */
  protected reset(buf: Uint8Array, end: number): void {
    this.b = buf;
    this.end = end;
  }

  /** The cursor `p` is at the line's closing brace, its last byte. */
  protected closed(p: number): boolean {
    return p !== -1 && p === this.end - 1 && this.b[p] === CLOSE;
  }

  /** The number just read by numOrNull, or null. */
  protected value(): number | null {
    return this.numNull ? null : this.num;
  }

  /** The cursor past `k` when the bytes at `p` are exactly it, else -1. */
  protected lit(p: number, k: Uint8Array): number {
    if (p === -1 || p + k.length > this.end) return -1;
    const b = this.b;
    for (let i = 0; i < k.length; i++) if (b[p + i] !== k[i]) return -1;
    return p + k.length;
  }

  /** true or false; `num` is 1 or 0. */
  protected bool(p: number): number {
    let q = this.lit(p, TRUE);
    if (q !== -1) { this.num = 1; return q; }
    q = this.lit(p, FALSE);
    this.num = 0;
    return q;
  }

  protected numOrNull(p: number): number {
    const q = this.lit(p, NULL);
    if (q !== -1) {
      this.numNull = true;
      return q;
    }
    this.numNull = false;
    return this.number(p);
  }

  /** A JSON number (RFC 8259 grammar, checked here). Exact: integers and decimals of up to 15
   *  digits are computed (m / 10^k is correctly rounded); anything longer goes through Number(). */
  protected number(start: number): number {
    if (start === -1) return -1;
    const b = this.b;
    const end = this.end;
    let i = start;
    const neg = b[i] === MINUS;
    if (neg) i++;
    if (i >= end || !isDigit(b[i]!)) return -1;
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
      if (i >= end || !isDigit(b[i]!)) return -1;
      while (i < end && isDigit(b[i]!)) { m = m * 10 + (b[i]! - ZERO); frac++; i++; }
      digits += frac;
    }
    let exact = digits <= MAX_EXACT_DIGITS;
    if (i < end && (b[i] === 0x65 || b[i] === 0x45)) {
      exact = false;
      i++;
      if (i < end && (b[i] === PLUS || b[i] === MINUS)) i++;
      if (i >= end || !isDigit(b[i]!)) return -1;
      while (i < end && isDigit(b[i]!)) i++;
    }
    if (!exact) {
      this.num = Number(Buffer.from(b.buffer, b.byteOffset + start, i - start).toString('latin1'));
    } else {
      const v = frac === 0 ? m : m / POW10[frac]!;
      this.num = neg ? -v : v;
    }
    return i;
  }

  protected strOrNull(p: number, slot: number): number {
    const q = this.lit(p, NULL);
    if (q !== -1) {
      this.str = null;
      return q;
    }
    return this.string(p, slot);
  }

  /** A string of printable ASCII without escapes (anything else: not this scanner's job).
   *  `str` is null when it fails. */
  protected string(p: number, slot: number): number {
    this.str = null;
    const b = this.b;
    if (p === -1 || b[p] !== QUOTE) return -1;
    const start = p + 1;
    // The field's previous value, if these bytes are exactly it (it was checked when first read).
    const prev = this.last[slot]!;
    const n = prev.length;
    if (start + n < this.end && b[start + n] === QUOTE) {
      let k = 0;
      while (k < n && b[start + k] === prev.charCodeAt(k)) k++;
      if (k === n) {
        this.str = prev;
        return start + n + 1;
      }
    }
    let i = start;
    let h = 0;
    for (; i < this.end; i++) {
      const c = b[i]!;
      if (c === QUOTE) break;
      if (c === BACKSLASH || c < 0x20 || c >= 0x7f) return -1;
      h = (Math.imul(h, 31) + c) | 0;
    }
    if (i >= this.end) return -1;
    const len = i - start;
    const key = (h ^ Math.imul(len, 0x9e3779b1)) | 0;
    const known = this.interned.get(key);
    if (known !== undefined && known.length === len) {
      let same = true;
      for (let k = 0; k < len; k++) if (known.charCodeAt(k) !== b[start + k]) { same = false; break; }
      if (same) {
        this.str = known;
        this.last[slot] = known;
        return i + 1;
      }
    }
    const s = len <= 64
      ? String.fromCharCode.apply(null, b.subarray(start, i) as unknown as number[])
      : Buffer.from(b.buffer, b.byteOffset + start, len).toString('latin1');
    if (known === undefined && this.interned.size < INTERN_LIMIT) this.interned.set(key, s);
    this.str = s;
    this.last[slot] = s;
    return i + 1;
  }
}
