// enrichAccesses + checkPolicy as one operator, for a run that wants only what the policy says
// (`check`, live capture with a policy): the same two stages, called directly instead of through a
// subscriber per access, and no event for what checkPolicy never reads (reads without a value:
// about half of a kernel trace) or judges from the access alone (writes to devices no rule
// applies to: most writes). Emits exactly what the two operators in a row emit.

import { Observable, type OperatorFunction } from 'rxjs';
import type { Inventory } from '../identity/inventory.js';
import type { CaptureRecord } from '../model/records.js';
import type { Policy } from '../policy/policy-types.js';
import { policyChecker, type CheckEvent } from './check-policy.js';
import { accessEnricher, type EnrichOptions } from './enrich-accesses.js';

export function enrichAndCheck(policy: Policy, inventory: Inventory, opts: Omit<EnrichOptions, 'inventory'> = {}): OperatorFunction<CaptureRecord, CheckEvent> {
  return (source) => new Observable<CheckEvent>((subscriber) => {
    const checker = policyChecker(policy, inventory, (e) => subscriber.next(e));
    const enricher = accessEnricher({ ...opts, inventory }, (e) => checker.next(e), checker);
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
