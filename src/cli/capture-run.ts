// The body of `cfgscope capture` once the machine passed the preflight: the boot-time ftrace
// buffer (when boot-args were used), then a live bpftrace, as one stream of capture records that
// is written to the capture file as it arrives and run through the same pipeline as `check`.
// Stopping (Ctrl-C, SIGTERM) forwards SIGINT to bpftrace and waits, bounded, for its END output
// and maps; whatever happens the file ends with a trailer, `complete: false` when the tracer died.

import { hostname, release } from 'node:os';
import { concat, defer, EMPTY, filter, lastValueFrom, of, tap, type Observable } from 'rxjs';
import { reconcileCounts, type Reconciliation } from '../crosscheck/reconcile-counts.js';
import { Inventory } from '../identity/inventory.js';
import { CAPTURE_FORMAT, CAPTURE_VERSION, type CaptureCounts, type CaptureRecord, type HeaderRecord } from '../model/records.js';
import { StackTable } from '../model/stack-table.js';
import type { ParseContext } from '../parsers/parser.js';
import type { CheckEvent } from '../pipeline/check-policy.js';
import { enrichAccesses } from '../pipeline/enrich-accesses.js';
import { enrichAndJudge } from '../pipeline/enrich-and-judge.js';
import type { PipelineEvent } from '../model/events.js';
import type { Policy } from '../policy/policy-types.js';
import { CaptureWriter } from '../sinks/capture-writer.js';
import { SyncWriter } from '../sinks/sync-writer.js';
import { BpftraceProcess, type BpftraceExit, type BpftraceRun } from '../sources/bpftrace-process.js';
import { bootTraceRecords } from '../sources/boot-trace.js';
import { handoverRecords } from '../sources/handover-trace.js';

export interface CaptureRunOptions {
  bpftrace: BpftraceRun;
  output: string;
  /** tracefs holding a cfgscope boot trace to read first, or null. */
  bootTrace: string | null;
  /** The persistent instance holding the previous boot's shutdown, read before the boot trace
   *  as the handover into kernel 2 (src/sources/handover-trace.ts), or null. */
  handover?: string | null;
  policy: Policy | null;
  /** Keep every access in the event stream, each before what the policy said of it (--listen). */
  keepAccesses?: boolean;
  /** How long to wait for bpftrace's END output after SIGINT before killing it. */
  stopWaitMs: number;
  /** Every pipeline event (after the policy stage when there is one): live output, --listen. */
  onEvent: (e: PipelineEvent | CheckEvent) => void;
  /** Progress and warnings for the user (stderr). */
  say: (line: string) => void;
  /** Every record the capture file takes, trailer included (--publish). */
  onRecord?: (r: CaptureRecord) => void;
}

export interface CaptureRunResult {
  counts: CaptureCounts;
  complete: boolean;
  exit: BpftraceExit | null;
  reconciliation: Reconciliation;
  /** SIGINT/SIGTERM that stopped the run, if any. */
  signal: NodeJS.Signals | null;
  lost: number;
  /** Records from bpftrace and the wall time between the first and the last (ms): the parse rate. */
  tracerRecords: number;
  tracerMs: number;
}

/** The live capture's own header: the host and kernel it ran on, bpftrace's clock (CLOCK_MONOTONIC).
 *  With a handover the header is kernel 1's, the old kernel, whose release nothing here says: the
 *  running kernel's is on kernel 2's boot record. */
function liveHeader(label: string, handover: boolean): HeaderRecord {
  return { t: 'header', format: CAPTURE_FORMAT, version: CAPTURE_VERSION, source: { kind: 'bpftrace', file: label }, ...(handover ? {} : { kernel: { release: release() } }), host: hostname(), clock: 'mono' };
}

export async function runCapture(opts: CaptureRunOptions): Promise<CaptureRunResult> {
  // Written to its own name as it goes (serve and `tail -f` follow it): a killed capture keeps
  // every record flushed so far, and a failed write (disk full) is cut back to a whole record.
  const out = SyncWriter.toLiveFile(opts.output);
  const writer = new CaptureWriter(out);
  // One stack table for both parsers: stack ids stay unique across the boot part and the live part.
  const stacks = new StackTable();
  const tracer = new BpftraceProcess(opts.bpftrace, (line) => opts.say(`bpftrace: ${line}`));
  // What bpftrace itself printed, kept apart from the boot part, for the @count reconciliation.
  const probeCounts = new Map<string, number>();
  const printed = new Map<string, number>();
  let lost = 0;
  let fromTracer = false;
  let tracerRecords = 0;
  let firstAt = 0;
  let lastAt = 0;
  // What the handover held, said once it is read: writes are what a Live Update reviewer looks for.
  const ho = { reads: 0, writes: 0, withStack: 0, phases: 0, skipped: 0 };
  const countHandover = (r: CaptureRecord): void => {
    if (r.t === 'access') {
      if (r.op === 'w') ho.writes++; else ho.reads++;
      if (r.stack !== null) ho.withStack++;
    } else if (r.t === 'phase') ho.phases++;
    else if (r.t === 'skipped') ho.skipped++;
  };
  const handoverSummary = (): string => `handover read: ${ho.reads + ho.writes} accesses (${ho.reads} reads, ${ho.writes} writes), `
    + `${ho.withStack} with a stack, ${ho.phases} phase markers, ${ho.skipped} lines skipped`;

  const bpftraceCtx: ParseContext = { file: opts.bpftrace.label, stacks };
  const boot$: Observable<CaptureRecord> = opts.bootTrace
    ? concat(bootTraceRecords(opts.bootTrace, { file: `${opts.bootTrace}/trace`, stacks }),
      of<CaptureRecord>({ t: 'phase', ts: null, label: 'boot trace read; bpftrace starting', index: null }))
    : EMPTY;
  const handover$: Observable<CaptureRecord> = opts.handover
    ? concat(handoverRecords(opts.handover, { file: `${opts.handover}/trace`, stacks }).pipe(tap((r) => countHandover(r))),
      defer(() => { opts.say(handoverSummary()); return EMPTY; }))
    : EMPTY;
  const live$ = defer(() => { fromTracer = true; return tracer.records(bpftraceCtx); });

  // Complete: bpftrace ran END (its maps are whole) and exited because it was asked to or on its own with 0.
  const isComplete = (exit: BpftraceExit | null): boolean => exit !== null && exit.sawEnd && !exit.killed && (exit.stoppedByUs || exit.code === 0);
  // Once bpftrace is gone the file is closed, and its trailer also ends the live stream, so the
  // pipeline's end says complete or incomplete as a re-read of the file does.
  const trailer$ = defer(() => {
    const complete = isComplete(tracer.exit);
    return of<CaptureRecord>({ t: 'trailer', counts: writer.finish(complete), complete });
  });

  /** Writes the record; the pipeline sees only what the file holds (so a re-read of it is the same stream). */
  const onRecord = (r: CaptureRecord): boolean => {
    if (r.t === 'trailer') {
      opts.onRecord?.(r);
      return true; // already written by writer.finish
    }
    const written = writer.write(r);
    // The header at once: a follower (serve, `tail -f`) knows the file for a capture from the
    // start, and a disk that fills with the first 64 KB still leaves a capture that replays.
    if (r.t === 'header') out.flush();
    if (written) opts.onRecord?.(r);
    if (!fromTracer) return written;
    lastAt = performance.now();
    if (tracerRecords++ === 0) firstAt = lastAt;
    switch (r.t) {
      case 'access': printed.set(`${r.layer}, ${r.op}`, (printed.get(`${r.layer}, ${r.op}`) ?? 0) + 1); break;
      case 'nested': printed.set(`${r.layer}, nested`, (printed.get(`${r.layer}, nested`) ?? 0) + 1); break;
      case 'source-count': if (r.key.startsWith('@count[')) probeCounts.set(r.key.slice('@count['.length, -1), r.count); break;
      case 'lost':
        lost += r.count;
        // Said the moment bpftrace says it, not only in the summary.
        opts.say(`LOST ${r.count} events (bpftrace's perf buffer overflowed; ${opts.bpftrace.label}:${r.line ?? '?'}); ${lost} lost so far: this capture is not lossless`);
        break;
      default: break;
    }
    return written;
  };

  const records$ = concat(of<CaptureRecord>(liveHeader(opts.bpftrace.label, Boolean(opts.handover))), handover$, boot$, live$, trailer$).pipe(filter(onRecord));
  const inventory = new Inventory();
  const events$: Observable<PipelineEvent | CheckEvent> = !opts.policy ? records$.pipe(enrichAccesses({ inventory }))
    : records$.pipe(enrichAndJudge(opts.policy, { inventory, accesses: opts.keepAccesses === true }));

  let signal: NodeJS.Signals | null = null;
  const onSignal = (s: NodeJS.Signals): void => {
    if (signal === null) {
      signal = s;
      opts.say(`${s}: stopping bpftrace (SIGINT), waiting up to ${Math.round(opts.stopWaitMs / 1000)} s for its END output and maps`);
      tracer.stop(opts.stopWaitMs);
    } else {
      opts.say(`${s} again: killing bpftrace now; the capture is closed as incomplete`);
      tracer.stop(0);
    }
  };
  const onInt = (): void => onSignal('SIGINT');
  const onTerm = (): void => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  // The file follows the stream closely (for `serve`'s resume and `tail -f`), not in 64 KB steps.
  const flusher = setInterval(() => out.flush(), 200);
  try {
    await lastValueFrom(events$.pipe(tap(opts.onEvent)), { defaultValue: null });
  } catch (e) {
    tracer.stop(0);
    // Closed incomplete when it still can be; after a failed write (disk full) the trailer may
    // not fit either, and the file then ends at its last whole record. The first error is the one said.
    try { writer.finish(false); } catch { writer.abandon(); }
    throw e;
  } finally {
    clearInterval(flusher);
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
  const exit = tracer.exit;
  const complete = isComplete(exit);
  const counts = writer.finish(complete); // already finished by trailer$; returns the counts
  return { counts, complete, exit, reconciliation: reconcileCounts(printed, probeCounts, lost), signal, lost, tracerRecords, tracerMs: lastAt - firstAt };
}
