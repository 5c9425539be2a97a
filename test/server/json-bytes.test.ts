// JsonBytes writes the served messages' numbers itself (digits of integers, timestamps to the
// microsecond) and hands out views of shared slabs: the numbers must be JSON.stringify's text for
// every number, and a view must keep its bytes whatever is written after it.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { JsonBytes } from '../../src/server/json-bytes.js';

const written = (x: number): string => {
  const out = new JsonBytes(16);
  out.number(x);
  return out.take().toString('utf8');
};

describe('JsonBytes', () => {
  it('writes every number as JSON.stringify does', () => {
    const edges = [0, -0, 1, 9, 10, 99, 100, 0x7fffffff, 0x80000000, 0xffffffff, 2 ** 53, -1, -5.5,
      0.000001, 0.0000001, 1e-7, 0.1, 0.5, 1.000001, 2.000123, 4294.967295, 2147.483647, 2147483.646999,
      1e21, 1.5e300, NaN, Infinity, -Infinity, Number.MIN_VALUE, Number.MAX_SAFE_INTEGER];
    for (const x of edges) expect(written(x), String(x)).toBe(JSON.stringify(x));
    fc.assert(fc.property(fc.double(), (x) => written(x) === JSON.stringify(x)), { numRuns: 20_000 });
    fc.assert(fc.property(fc.integer({ min: -1, max: 2 ** 32 }), (x) => written(x) === JSON.stringify(x)), { numRuns: 20_000 });
    // Timestamps as captures hold them: seconds with up to six decimals.
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 999_999 }), fc.integer({ min: 0, max: 6 }),
      (s, us, decimals) => {
        const x = Number(`${s}.${String(us).padStart(6, '0').slice(0, decimals) || '0'}`);
        return written(x) === JSON.stringify(x);
      }), { numRuns: 20_000 });
  });

  it('keeps each taken view whole while later writes fill and outgrow the slab', () => {
    const out = new JsonBytes(64);
    const texts = ['{"a":1}', 'é'.repeat(40), 'x'.repeat(300), '\u{1F600}', ''];
    const views = texts.map((t) => { out.utf8(t); out.number(texts.indexOf(t)); return out.take(); });
    views.forEach((v, i) => expect(v.toString('utf8')).toBe(`${texts[i]}${i}`));
    // A piece written half into a full slab moves whole to the next one.
    out.utf8('y'.repeat(50));
    out.bytes(Buffer.from('z'.repeat(40)));
    expect(out.length).toBe(90);
    expect(out.take().toString()).toBe(`${'y'.repeat(50)}${'z'.repeat(40)}`);
    views.forEach((v, i) => expect(v.toString('utf8')).toBe(`${texts[i]}${i}`));
  });
});
