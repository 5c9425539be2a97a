// The report's run: enrichAndJudge with one more verdict per write, the writes the policy is
// silent about; each write's findings come first, then its unexplained write.

import type { OperatorFunction } from 'rxjs';
import type { Inventory } from '../identity/inventory.js';
import type { AccessEvent } from '../model/events.js';
import type { CaptureRecord } from '../model/records.js';
import type { CheckEvent } from '../pipeline/check-policy.js';
import { enrichAndJudge } from '../pipeline/enrich-and-judge.js';
import type { Policy } from '../policy/policy-types.js';
import { unexplainedWrites, type UnexplainedWrite } from './unexplained-writes.js';

export type ReportEvent = CheckEvent | UnexplainedWrite;

export function reportEvents(policy: Policy, inventory: Inventory): OperatorFunction<CaptureRecord, ReportEvent>;
export function reportEvents(policy: Policy, inventory: Inventory, accesses: true): OperatorFunction<CaptureRecord, ReportEvent | AccessEvent>;
/** With `accesses`, every access event too, before its verdicts (the per-boot write counts). */
export function reportEvents(policy: Policy, inventory: Inventory, accesses = false): OperatorFunction<CaptureRecord, ReportEvent | AccessEvent> {
  return enrichAndJudge(policy, { inventory, extra: unexplainedWrites, accesses });
}
