// One line per finding, printed the moment the pipeline judges a write: what `capture --policy`
// shows while the machine is still probing (`check` groups findings at the end instead).

import { hexValue } from '../model/hex.js';
import type { CheckEvent } from '../pipeline/check-policy.js';

export class LiveFindingsSink {
  violations = 0;

  constructor(private readonly out: (t: string) => void, private readonly showExpected: boolean) {}

  handle(e: CheckEvent): void {
    if (e.kind === 'finding') {
      if (e.verdict === 'violation') this.violations++;
      else if (!this.showExpected) return;
      const values = e.change === 'unknown-old' ? `? -> ${hexValue(e.new, e.width)}` : `${hexValue(e.old, e.width)}${e.oldStale ? '?' : ''} -> ${hexValue(e.new, e.width)}`;
      const fields = e.fields.length > 0 ? ` ${e.fields.join(' ')}` : '';
      this.out(`${e.verdict.toUpperCase()} ${e.rule.severity} ${e.device.bdf} [${e.device.role}] ${e.register}${fields} ${values}`
        + ` by ${e.callSite ?? '?'} at t=${e.ts === null ? '?' : e.ts.toFixed(6)} (rule ${e.rule.id}, phase "${e.phase}", input line ${e.line ?? '?'})\n`);
    } else if (e.kind === 'target' && e.verdict === 'violation') {
      this.violations++;
      this.out(`VIOLATION ${e.rule.severity} ${e.device.bdf} [${e.device.role}] ${e.register} is ${hexValue(e.actual, 4)}, want ${hexValue(e.want, 4)} under mask ${hexValue(e.mask, 4)} at ${e.at} (rule ${e.rule.id})\n`);
    } else if (e.kind === 'phase') {
      this.out(`-- phase ${e.phase.seq}: ${e.phase.label}${e.phase.ts !== null ? ` (t=${e.phase.ts.toFixed(6)})` : ''}\n`);
    }
  }
}
