// A growing byte buffer that JSON text is written into as UTF-8, piece by piece: the served
// stream's messages are written here rather than built as strings and encoded afterwards. A
// string built from ~25 pieces is a tree of pieces that is flattened, measured and encoded before
// it reaches the socket; copying each piece's bytes (most of them cached, already encoded) once
// costs a fraction of that (test/bench/README.md, "Serialising").

/**
 * The bytes are written into slabs of this size (or a larger one for a larger batch); what `take`
 * returns is a view of its slab, not a copy: a slab is freed once no view of it is kept.
 */
const SLAB = 256 * 1024;

const DIGIT_0 = 0x30;

export class JsonBytes {
  private buf: Buffer;
  /** Where the bytes since the last `take` start in `buf`. */
  private start = 0;
  private at = 0;

  /** `slab`: a one-off writer (a test, one message) needs less than a served stream. */
  constructor(private readonly slab = SLAB) {
    this.buf = Buffer.allocUnsafe(slab);
  }

  /** Bytes written since the last `take`. */
  get length(): number {
    return this.at - this.start;
  }

  /** Room for `n` more bytes: a new slab when the current one is full, with what is written so far. */
  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const written = this.at - this.start;
    const next = Buffer.allocUnsafe(Math.max(this.slab, 2 * (written + n)));
    this.buf.copy(next, 0, this.start, this.at);
    this.buf = next;
    this.start = 0;
    this.at = written;
  }

  /** Bytes as they are (a cached, already encoded piece). */
  bytes(b: Uint8Array): void {
    const n = b.length;
    this.room(n);
    // Most pieces are a key or a short value: a loop costs less than a call into the copy.
    if (n <= 32) {
      const buf = this.buf;
      const at = this.at;
      for (let i = 0; i < n; i++) buf[at + i] = b[i]!;
    } else {
      this.buf.set(b, this.at);
    }
    this.at += n;
  }

  /** Any string, as UTF-8. */
  utf8(s: string): void {
    this.room(s.length * 3);
    this.at += this.buf.write(s, this.at, 'utf8');
  }

  /** A JSON number as JSON.stringify writes it (non-finite: null). */
  number(x: number): void {
    // Most numbers of a message are small non-negative integers (offsets, sizes, values, pids):
    // their digits are written directly. -0 is written "0", like JSON.stringify does.
    if (x >= 0 && x <= 0x7fffffff && (x | 0) === x) {
      let width = 1;
      for (let v = x; v >= 10; v = (v / 10) | 0) width++;
      this.digits(x, width);
      return;
    }
    if (x > 0 && x < 0x7fffffff && this.micros(x)) return;
    this.utf8(Number.isFinite(x) ? `${x}` : 'null');
  }

  /**
   * A number with at most six decimals (a timestamp in seconds, to the microsecond) written as
   * JSON.stringify would: below 2^31 two such decimals are more than a double's spacing apart, so
   * the decimal that rounds to `x` is its shortest form, trailing zeros dropped. False (nothing
   * written) when `x` is not such a number.
   */
  private micros(x: number): boolean {
    const us = Math.round(x * 1e6);
    if (us / 1e6 !== x) return false;
    const whole = Math.floor(us / 1e6);
    let frac = us - whole * 1e6;
    this.number(whole);
    if (frac === 0) return true;
    let width = 6;
    while (frac % 10 === 0) { frac /= 10; width--; }
    this.room(1);
    this.buf[this.at++] = 0x2e; // '.'
    this.digits(frac, width);
    return true;
  }

  /** Forgets what was written since the last take (a message that failed half-way). */
  discard(): void {
    this.at = this.start;
  }

  /** `v` (a whole number below 2^31) in exactly `width` decimal digits, zeros in front. */
  private digits(v: number, width: number): void {
    this.room(width);
    const buf = this.buf;
    for (let i = this.at + width - 1; i >= this.at; i--) {
      const q = (v / 10) | 0;
      buf[i] = DIGIT_0 + v - q * 10;
      v = q;
    }
    this.at += width;
  }

  /** What was written since the last take: a view that later writes do not touch. */
  take(): Buffer {
    const out = this.buf.subarray(this.start, this.at);
    this.start = this.at;
    return out;
  }
}

/** A piece of JSON text encoded once, for `JsonBytes.bytes`. */
export const encoded = (text: string): Buffer => Buffer.from(text, 'utf8');
