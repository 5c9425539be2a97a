// The policy stage of the pipeline: after enrichAccesses, every known write to a device the policy
// protects is evaluated against the rules that can touch it; target rules are checked when their
// phase ends or the stream ends. Replay (`check`) and live capture run this same operator.

import { Observable, type OperatorFunction } from 'rxjs';
import type { Inventory } from '../identity/inventory.js';
import type { DeviceRecord } from '../model/records.js';
import { RoleMap, type Role } from '../policy/device-roles.js';
import { evaluateWrite } from '../policy/evaluate-write.js';
import type { Finding, TargetFinding, UnattributedWrite } from '../policy/findings.js';
import { writeContextOf } from '../policy/findings.js';
import type { Policy, Rule } from '../policy/policy-types.js';
import { RuleIndex } from '../policy/rule-index.js';
import { CachedPlacement } from '../policy/rule-placement.js';
import { checkTargets } from '../policy/check-targets.js';
import type { AccessEvent, EndEvent, PipelineEvent } from './events.js';

export interface CheckTotals {
  kind: 'check-totals';
  /** Known writes seen, and those to devices the policy protects. */
  writes: number;
  protectedWrites: number;
  /** Writes to protected devices that kept every protected bit (the precise policy's passes). */
  sameValue: number;
  violations: number;
  expected: number;
  unattributed: number;
}

/** PRIMARY_BUS, SECONDARY_BUS, SUBORDINATE_BUS: 0x18-0x1a of a bridge's header. */
const touchesBusNumbers = (e: AccessEvent): boolean => e.access.off !== null && e.access.off <= 0x1a && e.access.off + e.access.size > 0x18;

/** Only a bridge (or a device whose header type is still unknown) has bus numbers there; on an
 *  endpoint 0x18-0x1a is BASE_ADDRESS_2, which BAR sizing writes on every enumeration. */
const mayBeBridge = (id: DeviceRecord): boolean => id.headerType === undefined || (id.headerType & 0x7f) === 1;

export type CheckEvent = Finding | TargetFinding | UnattributedWrite | CheckTotals | Exclude<PipelineEvent, AccessEvent>;

export function checkPolicy(policy: Policy, inventory: Inventory): OperatorFunction<PipelineEvent, CheckEvent> {
  return (source) => new Observable<CheckEvent>((subscriber) => {
    const roles = new RoleMap(inventory, policy.preserved);
    const index = new RuleIndex(policy.rules);
    const placement = new CachedPlacement();
    const totals: CheckTotals = { kind: 'check-totals', writes: 0, protectedWrites: 0, sameValue: 0, violations: 0, expected: 0, unattributed: 0 };
    let phase = 'boot';

    const movesBusNumbers = (e: AccessEvent): boolean => {
      const a = e.access;
      return touchesBusNumbers(e) && e.bdf !== null && mayBeBridge(inventory.state(a.seg!, a.bus!, a.devfn!).identity());
    };

    const emitTargets = (at: 'end' | string): void => {
      for (const t of checkTargets(index.targets(at), inventory, roles)) {
        if (t.verdict === 'violation') totals.violations++;
        subscriber.next(t);
      }
    };

    const onWrite = (e: AccessEvent): void => {
      const a = e.access;
      if (!a.known || e.bdf === null) {
        totals.unattributed++;
        subscriber.next({ kind: 'unattributed', fn: a.fn, ...writeContextOf(e) });
        return;
      }
      totals.writes++;
      const role: Role = roles.role(e.bdf);
      const rules: readonly Rule[] = index.candidates(e);
      if (rules.length > 0) {
        if (role !== 'other') totals.protectedWrites++;
        const dev = inventory.state(a.seg!, a.bus!, a.devfn!);
        const found = evaluateWrite(rules, dev.identity(), role, e, placement);
        if (found.length === 0 && role !== 'other') totals.sameValue++;
        for (const f of found) {
          if (f.verdict === 'violation') totals.violations++; else totals.expected++;
          subscriber.next(f);
        }
      }
      // A write to a bridge's bus numbers moves the set of depended devices: judged above by the
      // roles before it, it changes them for what follows.
      if (movesBusNumbers(e)) roles.refresh();
    };

    return source.subscribe({
      next(e) {
        switch (e.kind) {
          case 'access':
            if (e.access.op === 'w') onWrite(e);
            else if (e.old === null && e.access.val !== null && movesBusNumbers(e)) roles.refresh(); // first sight of a bridge's bus range
            return;
          case 'device':
            roles.refresh();
            subscriber.next(e);
            return;
          case 'phase':
            emitTargets(phase);
            phase = e.phase.label;
            subscriber.next(e);
            return;
          case 'end':
            emitTargets(phase);
            emitTargets('end');
            subscriber.next(totals);
            subscriber.next(e satisfies EndEvent);
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
