// Where each rule's register sits on a device, and its bits' attributes (read-only, RW1C, RW1S,
// self-clearing: registers/write-semantics.ts), worked out once
// per device identity instead of once per write: `check` judges millions of writes against a
// handful of devices. One instance per pipeline run (identities are replaced, never mutated,
// when a device is learned better, so a new identity object simply misses the cache).

import type { DeviceRecord } from '../model/records.js';
import { frameFunction } from '../parsers/accessors.js';
import { diffFields } from '../registers/fields.js';
import { headerKind } from '../registers/header.js';
import { attributesOf, NO_ATTRIBUTES, type Attributes } from '../registers/write-semantics.js';
import type { Rule } from './policy-types.js';
import { registerRange } from './register-range.js';

/** A call site's function without offset and compiler-clone suffix (`.cold`, `.isra.0`,
 *  `.constprop.0.isra.0`): the name expect rules give their call sites by. */
export const plainFunction = (callSite: string): string => frameFunction(callSite).replace(/\..*$/, '');

export type RuleRange = [number, number] | 'any' | null;

export interface Placement {
  range(rule: Rule, id: DeviceRecord): RuleRange;
  /** The attributes of the rule register's bits, in its own coordinates, on a device of this
   *  identity (the header type decides DEVCTL bit 15: FLR on an endpoint, self-clearing). */
  attributes(rule: Rule, id: DeviceRecord): Attributes;
  /** The rule register's fields that differ between two masked values (`MASTER 1->0`). */
  changedFields(rule: Rule, old: number, after: number): string[];
  /** A call site's plain function (plainFunction), what expect rules name. */
  plainFunction(callSite: string): string;
}

/** Computes every time: what a one-off judgement (a test, a report) uses. */
export const directPlacement: Placement = {
  range: (rule, id) => registerRange(rule.register, id),
  attributes: (rule, id) => (rule.register.space === 'any' ? NO_ATTRIBUTES : attributesOf(rule.register.text, undefined, headerKind(id.headerType))),
  changedFields: (rule, old, after) => diffFields(rule.register.text, old, after).map((c) => c.text),
  plainFunction,
};

export class CachedPlacement implements Placement {
  private readonly ranges = new WeakMap<DeviceRecord, Map<Rule, RuleRange>>();
  /** Per rule, per header kind. */
  private readonly masks = new Map<Rule, Map<string, Attributes>>();
  /** Per rule, old -> after -> field texts: findings repeat the same few transitions. */
  private readonly changes = new Map<Rule, Map<number, Map<number, readonly string[]>>>();
  /** Per call site, its plain function: expect rules ask for it on every write they cover. */
  private readonly functions = new Map<string, string>();

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

  attributes(rule: Rule, id: DeviceRecord): Attributes {
    let byKind = this.masks.get(rule);
    if (byKind === undefined) {
      byKind = new Map();
      this.masks.set(rule, byKind);
    }
    const kind = headerKind(id.headerType);
    let m = byKind.get(kind);
    if (m === undefined) {
      m = directPlacement.attributes(rule, id);
      byKind.set(kind, m);
    }
    return m;
  }

  changedFields(rule: Rule, old: number, after: number): string[] {
    let byOld = this.changes.get(rule);
    if (!byOld) {
      byOld = new Map();
      this.changes.set(rule, byOld);
    }
    let byAfter = byOld.get(old);
    if (!byAfter) {
      byAfter = new Map();
      byOld.set(old, byAfter);
    }
    let texts = byAfter.get(after);
    if (!texts) {
      texts = directPlacement.changedFields(rule, old, after);
      byAfter.set(after, texts);
    }
    // A copy: each finding owns its array.
    return [...texts];
  }

  plainFunction(callSite: string): string {
    let fn = this.functions.get(callSite);
    if (fn === undefined) {
      fn = plainFunction(callSite);
      this.functions.set(callSite, fn);
    }
    return fn;
  }
}
