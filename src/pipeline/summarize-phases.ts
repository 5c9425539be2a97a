// Second stage of `replay`: folds access events into one summary per phase (writes grouped by
// device, register and call site with their old -> new values; reads counted per device and
// register) and emits it when the next phase starts or the stream ends. Memory is bounded by the
// number of distinct (device, register, call site) groups, not by the length of the trace.

import { Observable, type OperatorFunction } from 'rxjs';
import { hexValue } from '../model/hex.js';
import type { AccessEvent, PhaseRef, PipelineEvent } from '../model/events.js';

/** At most this many distinct old -> new pairs are kept per row; the rest are counted. */
export const MAX_TRANSITIONS = 6;

export interface WriteRow {
  bdf: string | null;
  register: string | null;
  mnemonic: string | null;
  size: number;
  callSite: string | null;
  /** The accessor hit (useful when the device is unknown: early boot). */
  fn: string | null;
  count: number;
  /** How many of these writes got their target from the device-side log (not seen by the probe). */
  attributed: number;
  /** `old->new` (hex, `?` for unknown) -> count, in first-seen order. */
  transitions: Map<string, number>;
  otherTransitions: number;
  /** Index of the first access of this group in the capture. */
  firstIndex: number;
  /** Sample stack of the first access. */
  stack: readonly string[] | null;
}

export interface DeviceReads {
  bdf: string;
  count: number;
  byRegister: Map<string, number>;
}

export interface PhaseSummary {
  kind: 'phase-summary';
  phase: PhaseRef;
  accesses: number;
  writes: number;
  reads: number;
  rows: WriteRow[];
  deviceReads: DeviceReads[];
  /** Reads whose device the probe could not see. */
  unknownReads: number;
  lost: number;
}

export type SummaryEvent = PhaseSummary | Exclude<PipelineEvent, AccessEvent>;

/** `0x0107?`: a value known before an unattributed write that may have changed it. */
const oldHex = (e: AccessEvent, size: number): string => `${hexValue(e.old, size)}${e.oldStale ? '?' : ''}`;

class PhaseAccumulator {
  private readonly rows = new Map<string, WriteRow>();
  private readonly reads = new Map<string, DeviceReads>();
  private accesses = 0;
  private writes = 0;
  private unknownReads = 0;
  lost = 0;

  constructor(readonly phase: PhaseRef) {}

  add(e: AccessEvent): void {
    this.accesses++;
    const a = e.access;
    if (a.op === 'r') return this.addRead(e);
    this.writes++;
    const key = `${e.bdf}|${e.register}|${e.callSite}|${a.fn}|${a.attributed ?? ''}`;
    let row = this.rows.get(key);
    if (!row) {
      row = {
        bdf: e.bdf, register: e.register, mnemonic: e.mnemonic, size: a.size, callSite: e.callSite, fn: a.fn,
        count: 0, attributed: 0, transitions: new Map(), otherTransitions: 0, firstIndex: e.index, stack: e.stack,
      };
      this.rows.set(key, row);
    }
    row.count++;
    if (a.attributed) row.attributed++;
    if (!a.known) return;
    const t = `${oldHex(e, a.size)}->${hexValue(a.val, a.size)}`;
    const n = row.transitions.get(t);
    if (n !== undefined) row.transitions.set(t, n + 1);
    else if (row.transitions.size < MAX_TRANSITIONS) row.transitions.set(t, 1);
    else row.otherTransitions++;
  }

  private addRead(e: AccessEvent): void {
    if (e.bdf === null) { this.unknownReads++; return; }
    let d = this.reads.get(e.bdf);
    if (!d) {
      d = { bdf: e.bdf, count: 0, byRegister: new Map() };
      this.reads.set(e.bdf, d);
    }
    d.count++;
    const reg = e.register ?? '?';
    d.byRegister.set(reg, (d.byRegister.get(reg) ?? 0) + 1);
  }

  summary(): PhaseSummary {
    return {
      kind: 'phase-summary', phase: this.phase, accesses: this.accesses, writes: this.writes,
      reads: this.accesses - this.writes, rows: [...this.rows.values()],
      deviceReads: [...this.reads.values()].sort((a, b) => (a.bdf < b.bdf ? -1 : 1)),
      unknownReads: this.unknownReads, lost: this.lost,
    };
  }
}

export function summarizePhases(): OperatorFunction<PipelineEvent, SummaryEvent> {
  return (source) => new Observable<SummaryEvent>((subscriber) => {
    let acc: PhaseAccumulator | null = null;
    const flush = (): void => {
      if (acc) subscriber.next(acc.summary());
      acc = null;
    };
    return source.subscribe({
      next(e) {
        switch (e.kind) {
          case 'access':
            (acc ??= new PhaseAccumulator(e.phase)).add(e);
            return;
          case 'phase':
            flush();
            acc = new PhaseAccumulator(e.phase);
            subscriber.next(e);
            return;
          case 'lost':
            (acc ??= new PhaseAccumulator(e.phase)).lost += e.record.count;
            subscriber.next(e);
            return;
          case 'end':
            flush();
            subscriber.next(e);
            return;
          default:
            subscriber.next(e);
        }
      },
      error: (err: unknown) => subscriber.error(err),
      complete: () => subscriber.complete(),
    });
  });
}
