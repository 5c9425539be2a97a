// `check --json`: one JSON object per finding as it happens, then totals. Stacks are included
// so a dashboard can show the whole call chain.

import type { CheckEvent } from '../pipeline/check-policy.js';

export class CheckNdjsonSink {
  constructor(private readonly out: (t: string) => void) {}

  handle(e: CheckEvent): void {
    switch (e.kind) {
      case 'finding': case 'target': case 'unattributed': case 'check-totals':
        this.out(`${JSON.stringify({ type: e.kind, ...e, kind: undefined })}\n`);
        return;
      case 'end':
        this.out(`${JSON.stringify({ type: 'end', counts: e.counts, trailer: e.trailer })}\n`);
        return;
      default:
        return;
    }
  }
}
