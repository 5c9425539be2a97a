// Where each rule's register sits on a device, and which of its bits are RW1C, worked out once
// per device identity instead of once per write: `check` judges millions of writes against a
// handful of devices. One instance per pipeline run (identities are replaced, never mutated,
// when a device is learned better, so a new identity object simply misses the cache).

import type { DeviceRecord } from '../model/records.js';
import { rw1cMask } from '../registers/fields.js';
import type { Rule } from './policy-types.js';
import { registerRange } from './register-range.js';

export type RuleRange = [number, number] | 'any' | null;

export interface Placement {
  range(rule: Rule, id: DeviceRecord): RuleRange;
  rw1c(rule: Rule): number;
}

/** Computes every time: what a one-off judgement (a test, a report) uses. */
export const directPlacement: Placement = {
  range: (rule, id) => registerRange(rule.register, id),
  rw1c: (rule) => (rule.register.space === 'any' ? 0 : rw1cMask(rule.register.text)),
};

export class CachedPlacement implements Placement {
  private readonly ranges = new WeakMap<DeviceRecord, Map<Rule, RuleRange>>();
  private readonly masks = new Map<Rule, number>();

  range(rule: Rule, id: DeviceRecord): RuleRange {
    let perRule = this.ranges.get(id);
    if (!perRule) {
      perRule = new Map();
      this.ranges.set(id, perRule);
    }
    let r = perRule.get(rule);
    if (r === undefined) {
      r = directPlacement.range(rule, id);
      perRule.set(rule, r);
    }
    return r;
  }

  rw1c(rule: Rule): number {
    let m = this.masks.get(rule);
    if (m === undefined) {
      m = directPlacement.rw1c(rule);
      this.masks.set(rule, m);
    }
    return m;
  }
}
