// The one enrich -> judge path: capture records through the enricher (device model, roles, old
// values, register locations), each access event through the judge (a pure function of the event
// and the compiled policy), target rules at phase ends, totals at the end. `check`, `report`,
// `serve` and live capture all run this; they differ only in what they keep: the access events
// too (a live view), and one more verdict per write (the report's unexplained writes).

import { Observable, type OperatorFunction } from 'rxjs';
import { Inventory } from '../identity/inventory.js';
import type { AccessEvent, PipelineEvent } from '../model/events.js';
import type { CaptureRecord } from '../model/records.js';
import { ALL_ACCESSES, compilePolicy, type AccessFilter, type CompiledPolicy } from '../policy/compiled-policy.js';
import { judge } from '../policy/judge.js';
import type { Policy } from '../policy/policy-types.js';
import { CheckRun, type CheckEvent } from './check-policy.js';
import { Enricher, type EnrichOptions } from './enricher.js';

/** A further verdict on a judged write, after the policy's findings (the report's). */
export type ExtraVerdict<T> = (e: AccessEvent, p: CompiledPolicy) => T | null;

export interface JudgeOptions<T> extends Pick<EnrichOptions, 'inventory' | 'firstPhase'> {
  /** Keep every access event, each before what the policy said about it (a live view). */
  accesses?: boolean;
  /** Judge (and hand to `extra`) every write, also one to a device no rule protects at that
   *  moment: a bridge is known to be above a preserved device only once its bus range was read,
   *  and the report counts every write of each protected device. */
  everyWrite?: boolean;
  /** Makes the further verdict function of one run (it may keep caches of its own). */
  extra?: () => ExtraVerdict<T>;
}

export type JudgedEvent = AccessEvent | CheckEvent;

const EVERY_WRITE: AccessFilter = Object.freeze({ reads: false, otherWrites: true });

/** What the policy says (findings, targets, totals) and the enricher's other events; with
 *  `accesses`, the access events too. */
export function enrichAndJudge<T = never>(policy: Policy, opts?: JudgeOptions<T> & { accesses?: false }): OperatorFunction<CaptureRecord, CheckEvent | T>;
export function enrichAndJudge<T = never>(policy: Policy, opts: JudgeOptions<T>): OperatorFunction<CaptureRecord, JudgedEvent | T>;
export function enrichAndJudge<T = never>(policy: Policy, opts: JudgeOptions<T> = {}): OperatorFunction<CaptureRecord, JudgedEvent | T> {
  return (source) => new Observable<JudgedEvent | T>((subscriber) => {
    // All state belongs to this subscription: two runs share nothing.
    const compiled = compilePolicy(policy);
    const inventory = opts.inventory ?? new Inventory();
    const keep = opts.accesses === true;
    const extra = opts.extra?.();
    let run: CheckRun | null = null;
    const onEvent = (e: PipelineEvent): void => {
      switch (e.kind) {
        case 'access': {
          if (keep) subscriber.next(e);
          if (e.access.op !== 'w') return;
          const found = judge(e, compiled);
          run!.count(e, found);
          for (const f of found) subscriber.next(f);
          if (extra !== undefined) {
            const x = extra(e, compiled);
            if (x !== null) subscriber.next(x);
          }
          return;
        }
        case 'phase':
        case 'end':
          for (const t of run!.before(e)) subscriber.next(t);
          subscriber.next(e);
          return;
        default:
          subscriber.next(e);
      }
    };
    const enricher = new Enricher({
      inventory, firstPhase: opts.firstPhase, preserved: policy.preserved,
      filter: keep ? ALL_ACCESSES : opts.everyWrite === true ? EVERY_WRITE : compiled.filter,
    }, onEvent);
    run = new CheckRun(compiled, { devices: () => inventory.all(), roleOf: (d) => enricher.roleOf(d) });
    return source.subscribe({
      next: (r) => enricher.next(r),
      error: (err: unknown) => subscriber.error(err),
      complete() {
        enricher.complete();
        subscriber.complete();
      },
    });
  });
}
