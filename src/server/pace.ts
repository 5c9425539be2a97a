// `--speed`: a replay's pacing, as an operator on batches of events. An access is released at its
// recorded `ts` divided by the speed, relative to the first timed access, which is due when the
// replay starts (ReplayClock.start); what is due at once leaves as one batch, before any wait,
// so the server writes each client once per batch and no event waits for a later one. Speed 0: as fast as the file reads,
// with a turn of the event loop after each batch so clients are served while it runs.
// Time comes from the scheduler (TestScheduler in test/server/pace.marble.test.ts).

import { asyncScheduler, concatMap, Observable, type MonoTypeOperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';

/** What pacing reads of an event: an access's recorded time; null for the rest (and for an
 *  access without one), which go with the next release. */
export interface Timed {
  readonly ts: number | null;
}

/**
 * Where a replay is in time: the first timed access's `ts`, due when the replay started (`start`),
 * or, for a clock nobody started, when that access was released.
 */
export class ReplayClock {
  private t0: number | null = null;
  private w0: number | null = null;

  constructor(readonly speed: number, readonly scheduler: SchedulerLike = asyncScheduler) {}

  /**
   * The replay starts now (replayCapture: its setup done, before the file's first chunk): its
   * first timed access is due at once, however long reading up to it takes (a capture's header,
   * devices and stacks come first), so that time does not shift the whole replay later. Only the
   * first call counts.
   */
  start(): void {
    this.w0 ??= this.scheduler.now();
  }

  /** Milliseconds until an access recorded at `ts` (seconds) is due; <= 0 when it is. */
  wait(ts: number): number {
    const now = this.scheduler.now();
    this.t0 ??= ts;
    this.w0 ??= now;
    return this.w0 + ((ts - this.t0) * 1000) / this.speed - now;
  }
}

/** One batch, released in slices at their due times; completes after the last slice. */
function release<T extends Timed>(batch: readonly T[], clock: ReplayClock): Observable<readonly T[]> {
  return new Observable<readonly T[]>((out) => {
    let i = 0;
    let waited = -1;
    let due: T[] = [];
    let timer: Subscription | null = null;
    const run = (): void => {
      timer = null;
      while (i < batch.length) {
        const e = batch[i]!;
        if (i !== waited && e.ts !== null) {
          const wait = clock.wait(e.ts);
          if (wait > 0) {
            if (due.length > 0) { out.next(due); due = []; }
            waited = i;
            timer = clock.scheduler.schedule(run, wait);
            return;
          }
        }
        due.push(e);
        i++;
      }
      if (due.length > 0) out.next(due);
      out.complete();
    };
    run();
    return () => timer?.unsubscribe();
  });
}

/** A batch at once, then a turn of the event loop (I/O, clients) before the next one. */
function releaseThenYield<T>(batch: readonly T[]): Observable<readonly T[]> {
  return new Observable<readonly T[]>((out) => {
    out.next(batch);
    const turn = setImmediate(() => out.complete());
    return () => clearImmediate(turn);
  });
}

/** Batches paced by `clock` (its speed; 0 = as fast as they come, yielding between batches). */
export function pace<T extends Timed>(clock: ReplayClock): MonoTypeOperatorFunction<readonly T[]> {
  return concatMap((batch) => (clock.speed > 0 ? release(batch, clock) : releaseThenYield(batch)));
}
