// The report's pipeline stage: checkPolicy's findings and the writes the policy is silent about,
// from one pass over the enriched events. `connect` subscribes both branches before the source
// starts, and each event reaches checkPolicy first, then unexplainedWrites: the order is fixed.

import { connect, merge, type OperatorFunction } from 'rxjs';
import type { Inventory } from '../identity/inventory.js';
import { checkPolicy, type CheckEvent } from '../pipeline/check-policy.js';
import type { PipelineEvent } from '../pipeline/events.js';
import type { Policy } from '../policy/policy-types.js';
import { unexplainedWrites, type UnexplainedWrite } from './unexplained-writes.js';

export type ReportEvent = CheckEvent | UnexplainedWrite;

export function reportEvents(policy: Policy, inventory: Inventory): OperatorFunction<PipelineEvent, ReportEvent> {
  return connect((shared) => merge(shared.pipe(checkPolicy(policy, inventory)), shared.pipe(unexplainedWrites(policy, inventory))));
}
