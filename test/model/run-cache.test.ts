import { describe, expect, it } from 'vitest';
import { RunCache } from '../../src/model/run-cache.js';

describe('RunCache', () => {
  it('makes an entry once per key and gives the same one back, in runs and after a change of key', () => {
    const made: string[] = [];
    const cache = new RunCache<{ name: string }, string[]>((k) => { made.push(k.name); return [k.name]; });
    const a = { name: 'a' };
    const b = { name: 'b' };
    const first = cache.get(a);
    expect(cache.get(a)).toBe(first);
    const fromB = cache.get(b);
    expect(fromB).toEqual(['b']);
    expect(cache.get(a)).toBe(first);
    expect(cache.get(b)).toBe(fromB);
    expect(made).toEqual(['a', 'b']);
  });

  it('keeps entries per key object, not per equal key', () => {
    const cache = new RunCache<{ n: number }, { n: number }>((k) => ({ n: k.n }));
    const x = cache.get({ n: 1 });
    const y = cache.get({ n: 1 });
    expect(y).toEqual(x);
    expect(y).not.toBe(x);
  });
});
