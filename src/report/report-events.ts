// The report's run: enrichAndJudge with one more verdict per write, the writes the policy is
// silent about; each write's findings come first, then its unexplained write.

import type { OperatorFunction } from 'rxjs';
import type { Inventory } from '../identity/inventory.js';
import type { AccessEvent } from '../model/events.js';
import type { CaptureRecord } from '../model/records.js';
import type { CheckEvent } from '../pipeline/check-policy.js';
import { enrichAndJudge, type ExtraVerdict } from '../pipeline/enrich-and-judge.js';
import type { Policy } from '../policy/policy-types.js';
import { unexplainedWrites, type UnexplainedWrite } from './unexplained-writes.js';

export type ReportEvent = CheckEvent | UnexplainedWrite;

/** `onWrite`: told of every write, also of one to a device no rule protects at that moment (the
 *  per-boot write counts), without access events in the stream. */
export function reportEvents(policy: Policy, inventory: Inventory, onWrite?: (e: AccessEvent) => void): OperatorFunction<CaptureRecord, ReportEvent> {
  if (onWrite === undefined) return enrichAndJudge(policy, { inventory, extra: unexplainedWrites });
  const extra = (): ExtraVerdict<UnexplainedWrite> => {
    const verdict = unexplainedWrites();
    return (e, p) => {
      onWrite(e);
      return verdict(e, p);
    };
  };
  return enrichAndJudge(policy, { inventory, extra, everyWrite: true });
}
