// A capture file (any input format cfgscope reads) as a served stream: the same deterministic
// pipeline for the replay that clients watch and for the re-reads that resume them, so an event
// has the same seq however it is read. A failing input ends the stream with an `error` event at
// the same place on every read.

import { Observable, Subject } from 'rxjs';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { inventoryFrom } from '../identity/device-records.js';
import { isCfgscopeError } from '../model/errors.js';
import type { CaptureRecord } from '../model/records.js';
import type { InputFormat } from '../parsers/parser.js';
import { enrichAccesses } from '../pipeline/enrich-accesses.js';
import { judgeAccesses } from '../pipeline/judge-accesses.js';
import { selectBoot } from '../pipeline/select-boot.js';
import type { BootSelector } from '../model/boot-selection.js';
import type { Policy } from '../policy/policy-types.js';
import { recordChunks } from '../sources/record-chunks.js';
import type { ServedEvent } from './wire-message.js';

export interface CaptureStreamOptions {
  file: string;
  format: InputFormat;
  policy: Policy;
  /** `--devices` sources: read again for every pass, so passes share no state. */
  devices: readonly string[];
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

/** Every event of one pass over the file, in batches (one per chunk read). */
export async function* capturePass(o: CaptureStreamOptions): AsyncGenerator<ServedEvent[]> {
  const inventory = await inventoryFrom(o.devices);
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
  const sub = input.pipe(enrichAccesses({ inventory }), judgeAccesses(o.policy, inventory), selectBoot(o.boot, o.file)) // boot: selection
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
 * The file replayed: accesses released at their recorded `ts` divided by `speed` (relative to the
 * first timed access), or as fast as the file reads when `speed` is 0 (yielding between chunks,
 * so clients are served while it runs). Emitted in batches: what is due at once (what a timer
 * wake-up releases, or a chunk when `speed` is 0), released before any wait, so the server writes
 * each client once per batch and no event waits for a later one. Unsubscribing stops reading.
 */
export function replayCapture(o: CaptureStreamOptions, speed: number): Observable<readonly ServedEvent[]> {
  return new Observable<readonly ServedEvent[]>((subscriber) => {
    const stop = new AbortController();
    (async () => {
      let t0: number | null = null;
      let w0 = 0;
      let due: ServedEvent[] = [];
      const release = (): void => {
        if (due.length === 0 || stop.signal.aborted) return;
        const b = due;
        due = [];
        subscriber.next(b);
      };
      for await (const batch of capturePass(o)) {
        for (const e of batch) {
          if (speed > 0 && e.kind === 'access' && e.access.ts !== null) {
            if (t0 === null) { t0 = e.access.ts; w0 = performance.now(); }
            const wait = w0 + ((e.access.ts - t0) * 1000) / speed - performance.now();
            if (wait > 0) {
              release();
              await sleep(wait, undefined, { signal: stop.signal });
            }
          }
          if (stop.signal.aborted) return;
          due.push(e);
        }
        release();
        if (speed === 0) await nextTurn(undefined, { signal: stop.signal });
      }
      subscriber.complete();
    })().catch((e: unknown) => {
      if (!stop.signal.aborted) subscriber.error(e);
    });
    return () => stop.abort();
  });
}
