// The replay's pacing (src/server/pace.ts) under the TestScheduler: accesses released at ts / speed
// after the first timed one, what is due at once in one batch, events without a time riding with
// the next release, batches queued behind a slower one, errors, and unsubscribing mid-wait.
// Events are reduced to what pacing reads (a served message's recorded time; null for events
// other than accesses), named for the marbles.
import { describe, expect, it } from 'vitest';
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { pace, ReplayClock, type Timed } from '../../src/server/pace.js';

const scheduler = (): TestScheduler => new TestScheduler((a, b) => expect(a).toEqual(b));

type Named = Timed & { name: string };
/** An access recorded at `ts` seconds (null: without a time). */
const at = (name: string, ts: number | null): Named => ({ name, ts });
/** An event that is not an access (a phase, a finding). */
const other = (name: string): Named => ({ name, ts: null });
const names = (b: readonly Named[]): string => b.map((e) => e.name).join(',');

describe('pace (marbles)', () => {
  it('releases accesses at ts / speed from the first, what is due at once together', () => {
    const t = scheduler();
    t.run(({ cold, expectObservable }) => {
      const batch = [at('a', 2), at('b', 2.5), at('c', 2.5), at('d', 3)];
      const out = cold('x|', { x: batch }).pipe(pace(new ReplayClock(1, t)), map(names));
      expectObservable(out).toBe('a 499ms b 499ms (d|)', { a: 'a', b: 'b,c', d: 'd' });
    });
  });

  it('scales by the speed, and events without a time go with the next release', () => {
    const t = scheduler();
    t.run(({ cold, expectObservable }) => {
      const batch = [other('h'), at('a', 0), other('p'), at('n', null), at('b', 0.008)];
      const out = cold('x|', { x: batch }).pipe(pace(new ReplayClock(2, t)), map(names));
      expectObservable(out).toBe('a 3ms (b|)', { a: 'h,a,p,n', b: 'b' });
    });
  });

  it('keeps one clock across batches: a batch that comes early waits for its time', () => {
    const t = scheduler();
    t.run(({ cold, expectObservable }) => {
      const out = cold('x-y|', { x: [at('a', 1)], y: [at('b', 1.25)] }).pipe(pace(new ReplayClock(1, t)), map(names));
      expectObservable(out).toBe('a 249ms (b|)', { a: 'a', b: 'b' });
    });
  });

  it('a batch that comes late leaves at once, and one slow batch holds the next back', () => {
    const t = scheduler();
    t.run(({ cold, expectObservable }) => {
      const out = cold('x 9ms y-z|', { x: [at('a', 0), at('b', 0.004)], y: [at('c', 0.001)], z: [at('d', 0.020)] })
        .pipe(pace(new ReplayClock(1, t)), map(names));
      expectObservable(out).toBe('a 3ms b 5ms c 9ms (d|)', { a: 'a', b: 'b', c: 'c', d: 'd' });
    });
  });

  it('passes empty, never-ending and failing sources through', () => {
    const t = scheduler();
    t.run(({ cold, expectObservable }) => {
      expectObservable(cold<Named[]>('|').pipe(pace(new ReplayClock(1, t)))).toBe('|');
      expectObservable(cold<Named[]>('-').pipe(pace(new ReplayClock(1, t)))).toBe('-');
      expectObservable(cold('x#', { x: [at('a', 0)] }).pipe(pace(new ReplayClock(1, t)), map(names))).toBe('a#', { a: 'a' });
    });
  });

  it('a started clock counts from the start: reaching the first access late does not shift the rest', () => {
    const t = scheduler();
    t.run(({ cold, expectObservable }) => {
      const batch = { x: [other('h'), at('a', 1), at('b', 1.25)] };
      const started = new ReplayClock(1, t);
      started.start();
      // The first access comes 5 ms after the start: it is late and leaves at once; b is due 250 ms
      // after the start, not 250 ms after a's release.
      expectObservable(cold('5ms x|', batch).pipe(pace(started), map(names))).toBe('5ms a 244ms (b|)', { a: 'h,a', b: 'b' });
      // A clock nobody started counts from the first access's release.
      expectObservable(cold('5ms x|', batch).pipe(pace(new ReplayClock(1, t)), map(names))).toBe('5ms a 249ms (b|)', { a: 'h,a', b: 'b' });
    });
  });

  it('stops waiting when unsubscribed', () => {
    const t = scheduler();
    t.run(({ cold, expectObservable }) => {
      const out = cold('x|', { x: [at('a', 0), at('b', 0.010)] }).pipe(pace(new ReplayClock(1, t)), map(names));
      expectObservable(out, '^ 4ms !').toBe('a', { a: 'a' });
    });
  });
});
