// The report's run: enrichAndJudge with one more verdict per write, the writes the policy is
// silent about; each write's findings come first, then its unexplained write.

import type { OperatorFunction } from 'rxjs';
import type { Inventory } from '../identity/inventory.js';
import type { CaptureRecord } from '../model/records.js';
import type { CheckEvent } from '../pipeline/check-policy.js';
import { enrichAndJudge } from '../pipeline/enrich-and-judge.js';
import type { Policy } from '../policy/policy-types.js';
import { unexplainedWrites, type UnexplainedWrite } from './unexplained-writes.js';

export type ReportEvent = CheckEvent | UnexplainedWrite;

export function reportEvents(policy: Policy, inventory: Inventory): OperatorFunction<CaptureRecord, ReportEvent> {
  return enrichAndJudge(policy, { inventory, extra: unexplainedWrites });
}
