// The pipeline as a function of its inputs: capture records in, summaries out. `replay` runs it
// over files; live capture will run the very same function over a bpftrace pipe.

import type { Observable } from 'rxjs';
import type { CaptureRecord } from '../model/records.js';
import { enrichAccesses, type EnrichOptions } from './enrich-accesses.js';
import { summarizePhases, type SummaryEvent } from './summarize-phases.js';

export function replayPipeline(records: Observable<CaptureRecord>, opts: EnrichOptions = {}): Observable<SummaryEvent> {
  return records.pipe(enrichAccesses(opts), summarizePhases());
}
