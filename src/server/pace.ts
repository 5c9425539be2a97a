// `--speed`: a replay's pacing, as an operator on batches of events. An access is released at its
// recorded `ts` divided by the speed, relative to the first timed access (whose release sets the
// clock); what is due at once leaves as one batch, before any wait, so the server writes each
// client once per batch and no event waits for a later one. Speed 0: as fast as the file reads,
// with a turn of the event loop after each batch so clients are served while it runs.
// Time comes from the scheduler (TestScheduler in test/server/pace.marble.test.ts).

import { asyncScheduler, concatMap, Observable, type MonoTypeOperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { ServedEvent } from './wire-message.js';

type Batch = readonly ServedEvent[];

/** Where a replay is in time: the first timed access's `ts` and when it was released. */
export class ReplayClock {
  private t0: number | null = null;
  private w0 = 0;

  constructor(readonly speed: number, readonly scheduler: SchedulerLike = asyncScheduler) {}

  /** Milliseconds until an access recorded at `ts` (seconds) is due; <= 0 when it is. */
  wait(ts: number): number {
    const now = this.scheduler.now();
    if (this.t0 === null) { this.t0 = ts; this.w0 = now; }
    return this.w0 + ((ts - this.t0) * 1000) / this.speed - now;
  }
}

/** One batch, released in slices at their due times; completes after the last slice. */
function release(batch: Batch, clock: ReplayClock): Observable<Batch> {
  return new Observable<Batch>((out) => {
    let i = 0;
    let waited = -1;
    let due: ServedEvent[] = [];
    let timer: Subscription | null = null;
    const run = (): void => {
      timer = null;
      while (i < batch.length) {
        const e = batch[i]!;
        if (i !== waited && e.kind === 'access' && e.access.ts !== null) {
          const wait = clock.wait(e.access.ts);
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
function releaseThenYield(batch: Batch): Observable<Batch> {
  return new Observable<Batch>((out) => {
    out.next(batch);
    const turn = setImmediate(() => out.complete());
    return () => clearImmediate(turn);
  });
}

/** Batches paced by `clock` (its speed; 0 = as fast as they come, yielding between batches). */
export function pace(clock: ReplayClock): MonoTypeOperatorFunction<Batch> {
  return concatMap((batch) => (clock.speed > 0 ? release(batch, clock) : releaseThenYield(batch)));
}
