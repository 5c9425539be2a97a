// Accesses over trace time, per device, in a fixed number of bins however long the stream runs:
// a live boot of millions of accesses keeps the page's memory flat (it used to keep one object
// per access). When an access falls outside the covered range, the range doubles (neighbouring
// bins merge) until it fits, on the side the access is; events that a resume delivers late, and
// so out of order, land in the right bin. Violations are kept per violating write (as many as the
// findings table holds), phase bands by the first time seen in each phase.

export const BINS = 1024;
/** Starting bin width: 1 us of trace time (or 1/1M of an access index); doubling reaches seconds in ~20 steps. */
const FIRST_WIDTH = 2 ** -20;

export class AccessHistogram {
  constructor() {
    this.count = 0;
    this.lo = null;
    this.width = FIRST_WIDTH;
    this.min = Infinity;
    this.max = -Infinity;
    /** bdf -> { reads, writes: Uint32Array(BINS), count } */
    this.rows = new Map();
    /** phase seq -> first x seen in it */
    this.phaseStart = new Map();
    /** write (access index, or the finding's seq) -> { bdf, x } */
    this.violations = new Map();
  }

  add(bdf, x, op, phaseSeq) {
    this.fit(x);
    const r = this.row(bdf);
    const b = Math.min(BINS - 1, Math.floor((x - this.lo) / this.width));
    if (op === 'w') r.writes[b]++; else r.reads[b]++;
    r.count++;
    this.count++;
    const s = this.phaseStart.get(phaseSeq);
    if (s === undefined || x < s) this.phaseStart.set(phaseSeq, x);
  }

  /** A violating write; several findings on one write are one mark. */
  markViolation(key, bdf, x) {
    if (this.violations.has(key)) return;
    this.violations.set(key, { bdf, x });
    this.row(bdf);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
  }

  /** Accesses of one device (all when bdf is empty). */
  countOf(bdf) {
    return bdf ? this.rows.get(bdf)?.count ?? 0 : this.count;
  }

  /** Centre of bin `b`, clamped to the accesses actually seen. */
  binX(b) {
    return Math.min(this.max, Math.max(this.min, this.lo + (b + 0.5) * this.width));
  }

  row(bdf) {
    let r = this.rows.get(bdf);
    if (!r) {
      r = { reads: new Uint32Array(BINS), writes: new Uint32Array(BINS), count: 0 };
      this.rows.set(bdf, r);
    }
    return r;
  }

  fit(x) {
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    if (this.lo === null) { this.lo = x; return; }
    while (x < this.lo || x >= this.lo + this.width * BINS) {
      const down = x < this.lo;
      for (const r of this.rows.values()) { halve(r.reads, down); halve(r.writes, down); }
      if (down) this.lo -= this.width * BINS;
      this.width *= 2;
    }
  }
}

/** Merges bin pairs into one half of the array (the upper half when the range grows downwards). */
function halve(a, down) {
  const half = BINS / 2;
  if (down) {
    // Written from the top down: each write reads two lower bins not yet overwritten.
    for (let i = BINS - 1; i >= half; i--) a[i] = a[2 * (i - half)] + a[2 * (i - half) + 1];
    a.fill(0, 0, half);
  } else {
    for (let i = 0; i < half; i++) a[i] = a[2 * i] + a[2 * i + 1];
    a.fill(0, half);
  }
}
