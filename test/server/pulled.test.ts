// pulled() (src/server/pulled.ts): a replay reads the next chunk of its file only once the pacing
// has released the previous one, so a slow replay of a large capture holds one chunk, not the file.
// Async (the sequence is a Promise-based iterator), so ordinary awaits instead of marbles.
import { describe, expect, it } from 'vitest';
import { concatMap, lastValueFrom, map, Subject, take, toArray } from 'rxjs';
import { setImmediate as turn } from 'node:timers/promises';
import { pulled } from '../../src/server/pulled.js';

function counted(n: number, failAt = -1): { items: () => AsyncGenerator<number>; pulls: () => number; closed: () => boolean } {
  let pulls = 0;
  let closed = false;
  return {
    async *items() {
      try {
        for (let i = 0; i < n; i++) {
          pulls++;
          if (i === failAt) throw new Error(`item ${i} unreadable`);
          yield i;
        }
      } finally { closed = true; }
    },
    pulls: () => pulls,
    closed: () => closed,
  };
}

describe('pulled', () => {
  it('asks for the next item only when the previous one is done with', async () => {
    const src = counted(3);
    const release = new Subject<void>();
    const seen: number[] = [];
    let complete = false;
    pulled(src.items, concatMap((x: number) => release.pipe(take(1), map(() => x))))
      .subscribe({ next: (x) => seen.push(x), complete: () => { complete = true; } });
    for (let i = 0; i < 3; i++) {
      for (let k = 0; k < 5; k++) await turn();
      expect(src.pulls()).toBe(i + 1);
      expect(seen).toEqual([0, 1, 2].slice(0, i));
      release.next();
    }
    for (let k = 0; k < 5; k++) await turn();
    expect(seen).toEqual([0, 1, 2]);
    expect(complete).toBe(true);
  });

  it('ends the sequence when unsubscribed midway', async () => {
    const src = counted(100);
    const sub = pulled(src.items, concatMap((x: number) => new Subject<number>().pipe(map(() => x)))).subscribe();
    for (let k = 0; k < 5; k++) await turn();
    sub.unsubscribe();
    for (let k = 0; k < 5; k++) await turn();
    expect(src.pulls()).toBe(1);
    expect(src.closed()).toBe(true);
  });

  it('passes an empty sequence and a failing one through', async () => {
    expect(await lastValueFrom(pulled(counted(0).items, map((x: number) => x)).pipe(toArray()))).toEqual([]);
    const seen: number[] = [];
    await expect(lastValueFrom(pulled(counted(5, 2).items, map((x: number) => { seen.push(x); return x; })))).rejects.toThrow('item 2 unreadable');
    expect(seen).toEqual([0, 1]);
  });
});
