// `target` rules: at the end of a phase or of the trace, the register must hold `value` under its
// mask (e.g. "ATS enabled with this STU"). The value is what the shadow config knows; unknown is
// reported as such, not assumed.

import type { DeviceState } from '../identity/inventory.js';
import type { Role } from '../model/events.js';
import { ruleApplies } from './evaluate-write.js';
import type { TargetFinding } from './findings.js';
import type { Rule } from './policy-types.js';
import { registerRange } from './register-range.js';

export function* checkTargets(rules: readonly Rule[], devices: readonly DeviceState[], roleOf: (d: DeviceState) => Role): Generator<TargetFinding> {
  if (rules.length === 0) return;
  for (const dev of devices) {
    const role = roleOf(dev);
    const id = dev.identity();
    for (const r of rules) {
      if (!ruleApplies(r, role)) continue;
      const range = registerRange(r.register, id);
      if (range === null || range === 'any') continue;
      const actual = dev.shadow.get(range[0], range[1] - range[0]);
      const want = (r.target!.value & r.mask) >>> 0;
      const met = actual !== null && ((actual & r.mask) >>> 0) === want;
      yield {
        kind: 'target', verdict: met ? 'met' : 'violation', rule: { id: r.id, kind: r.kind, severity: r.severity, why: r.why, source: r.source },
        device: { bdf: dev.bdf, vendor: id.vendor ?? null, device: id.device ?? null, role },
        register: r.register.text, want, mask: r.mask, actual, at: r.target!.at === 'end' ? 'end of trace' : `end of ${r.target!.at.phase}`,
      };
    }
  }
}
