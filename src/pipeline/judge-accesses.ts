// enrichAccesses + checkPolicy, keeping the accesses: checkPolicy consumes access events and emits
// only what it judged, while a live view wants both, in order: each access, then what the policy
// said about it. Used by `serve` (file replay and its resume re-reads) and live capture.

import { Observable, Subject, type OperatorFunction } from 'rxjs';
import type { Inventory } from '../identity/inventory.js';
import type { Policy } from '../policy/policy-types.js';
import { checkPolicy, type CheckEvent } from './check-policy.js';
import type { AccessEvent, PipelineEvent } from './events.js';

export type JudgedEvent = AccessEvent | CheckEvent;

export function judgeAccesses(policy: Policy, inventory: Inventory): OperatorFunction<PipelineEvent, JudgedEvent> {
  return (source) => new Observable<JudgedEvent>((subscriber) => {
    const judged = new Subject<PipelineEvent>();
    const checks = judged.pipe(checkPolicy(policy, inventory)).subscribe(subscriber);
    const input = source.subscribe({
      next(e) {
        if (e.kind === 'access') subscriber.next(e);
        judged.next(e);
      },
      error: (err: unknown) => judged.error(err),
      complete: () => judged.complete(),
    });
    return () => { input.unsubscribe(); checks.unsubscribe(); };
  });
}
