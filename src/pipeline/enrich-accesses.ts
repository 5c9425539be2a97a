// The enricher alone, as an operator: what a run without a policy uses (`replay`, `diff`, the
// crosscheck): every access becomes an event, every device's role is 'other'.

import { Observable, type OperatorFunction } from 'rxjs';
import type { PipelineEvent } from '../model/events.js';
import type { CaptureRecord } from '../model/records.js';
import { Enricher, type EnrichOptions } from './enricher.js';

export type { EnrichOptions };

export function enrichAccesses(opts: EnrichOptions = {}): OperatorFunction<CaptureRecord, PipelineEvent> {
  return (source) => new Observable<PipelineEvent>((subscriber) => {
    // One enricher per subscription: two subscribers (a replay and a live run) share nothing.
    const enricher = new Enricher(opts, (e) => subscriber.next(e));
    return source.subscribe({
      next: (r) => enricher.next(r),
      error: (e: unknown) => subscriber.error(e),
      complete() {
        enricher.complete();
        subscriber.complete();
      },
    });
  });
}
