// The page's timeline store (web/js/access-histogram.js, plain JS): a fixed number of bins however
// many accesses arrive, every access counted once, each in the bin its time falls in, whichever
// order a live stream or a resume delivers them in. Fed with the real accesses of a bundled capture.
import { describe, expect, it } from 'vitest';
import type { AccessRecord } from '../../src/model/records.js';
import { readRecords } from '../support/read-records.js';

interface Row { reads: Uint32Array; writes: Uint32Array; count: number }
interface Histogram {
  count: number; lo: number; width: number; min: number; max: number; rows: Map<string, Row>;
  phaseStart: Map<number, number>; violations: Map<unknown, { bdf: string; x: number }>;
  add(bdf: string, x: number, op: string, phase: number): void; markViolation(key: unknown, bdf: string, x: number): void; countOf(bdf?: string): number;
}
const webPath = '../../web/js/access-histogram.js';
const { AccessHistogram, BINS } = (await import(webPath)) as { AccessHistogram: new () => Histogram; BINS: number };

const capture = new URL('../../replays/lab-kexec/kernel.capture.ndjson', import.meta.url).pathname;
const accesses = (await readRecords(capture)).filter((r): r is AccessRecord => r.t === 'access' && r.ts !== null);
const bdfOf = (a: AccessRecord): string => `${a.seg}:${a.bus}:${a.devfn}`;

/** Bins a naive exact pass would give, at the histogram's final range. */
function expectBinsExact(h: Histogram, items: AccessRecord[]): void {
  const want = new Map<string, { reads: number[]; writes: number[] }>();
  for (const a of items) {
    const b = Math.min(BINS - 1, Math.floor((a.ts! - h.lo) / h.width));
    const w = want.get(bdfOf(a)) ?? { reads: new Array<number>(BINS).fill(0), writes: new Array<number>(BINS).fill(0) };
    want.set(bdfOf(a), w);
    (a.op === 'w' ? w.writes : w.reads)[b]!++;
  }
  for (const [bdf, w] of want) {
    expect([...h.rows.get(bdf)!.reads]).toEqual(w.reads);
    expect([...h.rows.get(bdf)!.writes]).toEqual(w.writes);
  }
}

describe('the page timeline keeps a fixed number of bins', () => {
  it('counts every access of a real capture once, in its time bin, in stream order', () => {
    const h = new AccessHistogram();
    for (const a of accesses) h.add(bdfOf(a), a.ts!, a.op, 0);
    expect(accesses.length).toBeGreaterThan(1000);
    expect(h.count).toBe(accesses.length);
    expect(h.min).toBe(Math.min(...accesses.map((a) => a.ts!)));
    expect(h.max).toBe(Math.max(...accesses.map((a) => a.ts!)));
    for (const r of h.rows.values()) expect(r.reads.length).toBe(BINS);
    // The range doubled only as far as needed: the accesses cover more than half of it.
    expect(h.max - h.min).toBeGreaterThan(h.width * BINS / 2);
    expectBinsExact(h, accesses);
  });

  it('gives the same bins when a resume delivers the stream out of order (the latest half first)', () => {
    const half = Math.floor(accesses.length / 2);
    const shuffled = [...accesses.slice(half), ...accesses.slice(0, half).reverse()];
    const h = new AccessHistogram();
    for (const a of shuffled) h.add(bdfOf(a), a.ts!, a.op, 0);
    expect(h.count).toBe(accesses.length);
    expect([...h.rows.values()].reduce((n, r) => n + r.count, 0)).toBe(accesses.length);
    expectBinsExact(h, accesses);
  });

  it('stays the same size for 10x the accesses, and marks a violating write once', () => {
    const h = new AccessHistogram();
    const span = accesses[accesses.length - 1]!.ts! + 1;
    for (let round = 0; round < 10; round++) for (const a of accesses) h.add(bdfOf(a), a.ts! + round * span, a.op, round);
    expect(h.count).toBe(10 * accesses.length);
    expect(h.countOf(bdfOf(accesses[0]!))).toBe(10 * accesses.filter((a) => bdfOf(a) === bdfOf(accesses[0]!)).length);
    for (const r of h.rows.values()) expect(r.reads.length).toBe(BINS);
    expect([...h.phaseStart.keys()]).toHaveLength(10);
    h.markViolation(17, 'x', 3);
    h.markViolation(17, 'x', 3);
    expect(h.violations.size).toBe(1);
  });
});
