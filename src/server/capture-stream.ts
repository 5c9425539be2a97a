// A capture file (any input format cfgscope reads) as a served stream: the same deterministic
// pipeline for the replay that clients watch and for the re-reads that resume them, so an event
// has the same seq however it is read. A failing input ends the stream with an `error` event at
// the same place on every read.

import { defer, Subject, type Observable, type SchedulerLike } from 'rxjs';
import { inventoryFrom } from '../identity/device-records.js';
import { carryPrevious } from '../pipeline/previous-capture.js';
import { isCfgscopeError } from '../model/errors.js';
import type { CaptureRecord } from '../model/records.js';
import type { InputFormat } from '../parsers/parser.js';
import { enrichAndJudge } from '../pipeline/enrich-and-judge.js';
import { selectBoot } from '../pipeline/select-boot.js';
import type { BootSelector } from '../model/boot-selection.js';
import type { Policy } from '../policy/policy-types.js';
import { recordChunks } from '../sources/record-chunks.js';
import { pace, ReplayClock } from './pace.js';
import { pulled } from './pulled.js';
import { readAhead } from './read-ahead.js';
import type { Prepare } from './serve-types.js';
import type { ServedEvent, WireEvent } from './wire-message.js';

export interface CaptureStreamOptions {
  file: string;
  format: InputFormat;
  policy: Policy;
  /** `--devices` sources: read again for every pass, so passes share no state. */
  devices: readonly string[];
  /** `--previous-capture`: the old kernel's capture, read again for every pass as well. */
  previous?: string;
  /**
   * The file is a capture still being written by a live run (its history): a pass ends at the
   * file's last complete line without ending the pipeline, so it never emits the end-of-stream
   * events (target checks, totals, end) at a seq where the live stream has something else.
   */
  growing?: boolean;
  // boot: `serve --boot`: only that boot's events (src/pipeline/select-boot.ts)
  boot?: BootSelector;
}

function failure(e: unknown): ServedEvent {
  return isCfgscopeError(e)
    ? { kind: 'error', code: e.code, message: e.message }
    : { kind: 'error', code: 'INPUT_READ_FAILED', message: (e as Error).message };
}

/**
 * Every event of one pass over the file, in batches (one per chunk read), a chunk read only when
 * the consumer asks (the replay's pacing, a client's catch-up: both may be slow). The pipeline's
 * stages are operators over one record stream; the records of each pulled chunk are pushed into
 * them (`input`) and what they emit for it is the chunk's batch.
 */
export async function* capturePass(o: CaptureStreamOptions, ready?: () => void): AsyncGenerator<ServedEvent[]> {
  const inventory = await inventoryFrom(o.devices);
  if (o.previous !== undefined) await carryPrevious(inventory, o.previous);
  // `--devices` and `--previous-capture` are read: the pass begins (a replay's clock starts).
  ready?.();
  const input = new Subject<CaptureRecord>();
  let out: ServedEvent[] = [];
  let failed: ServedEvent | null = null;
  // Devices known up front (`--devices`) are told to clients like those the capture names,
  // just after the header, so a client knows every device's identity from the start.
  let known: ServedEvent[] | null = inventory.all().map((d) => ({ kind: 'device', device: d.identity() }));
  const onEvent = (e: ServedEvent): void => {
    if (known !== null) {
      if (e.kind === 'header') out.push(e, ...known); else out.push(...known, e);
      known = null;
      return;
    }
    out.push(e);
  };
  const sub = input.pipe(enrichAndJudge(o.policy, { inventory, accesses: true }), selectBoot(o.boot, o.file)) // boot: selection
    .subscribe({ next: onEvent, error: (e: unknown) => { failed = failure(e); } });
  const take = (): ServedEvent[] => { const b = out; out = []; return b; };
  try {
    try {
      for await (const records of recordChunks(o.file, o.format, { growing: o.growing ?? false })) {
        for (const r of records) {
          input.next(r);
          if (failed) break;
        }
        if (failed) break;
        if (out.length > 0) yield take();
      }
      if (!failed && !o.growing) input.complete();
    } catch (e) {
      failed = failure(e);
    }
    if (failed) out.push(failed);
    if (out.length > 0) yield take();
  } finally {
    sub.unsubscribe();
  }
}

/** Events from seq `from` on (seq 1 = the pass's first event): what a resume needs. */
export function captureHistory(o: CaptureStreamOptions): (from: number) => AsyncGenerator<ServedEvent> {
  return async function* history(from: number) {
    let seq = 0;
    for await (const batch of capturePass(o)) {
      for (const e of batch) if (++seq >= from) yield e;
    }
  };
}

/**
 * Events prepared ahead of their release at most: ~60 chunks of a capture, 0.16 s of a replay at
 * 100k accesses/s, ~13 MB of messages. Enough for the stages to be compiled by the JIT before a
 * fast replay's first second (test/bench/README.md); a bound so memory stays flat.
 */
export const READ_AHEAD_EVENTS = 16_384;

/**
 * The file replayed at `speed` (pace.ts; 0 = as fast as it reads): one pass, each chunk's batch
 * read, judged and prepared by the server (`prepare`: numbered and serialised) up to
 * READ_AHEAD_EVENTS ahead of its release (read-ahead.ts), pulled once the previous batch is
 * released (pulled.ts): memory holds that many events however slow the replay. Emitted in
 * batches: what is due at once. Unsubscribing stops reading.
 */
export function replayCapture(o: CaptureStreamOptions, speed: number, scheduler?: SchedulerLike): (prepare: Prepare) => Observable<readonly WireEvent[]> {
  return (prepare) => defer(() => {
    const clock = new ReplayClock(speed, scheduler);
    return pulled(() => readAhead(prepared(capturePass(o, () => clock.start()), prepare), READ_AHEAD_EVENTS), pace<WireEvent>(clock));
  });
}

async function* prepared(batches: AsyncIterable<ServedEvent[]>, prepare: Prepare): AsyncGenerator<WireEvent[]> {
  for await (const batch of batches) yield prepare(batch);
}
