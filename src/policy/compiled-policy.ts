// A policy made ready for judging, once per run: its rules indexed by register location, where
// each rule sits on each kind of device (placed rules, shared by the devices of one role, header
// type and capability layout), and the access filter the enricher applies so that what no rule
// needs never becomes an event. What it keeps are caches: the answers are the policy's own.

import type { Role } from '../model/events.js';
import type { DeviceRecord } from '../model/records.js';
import { RunCache } from '../model/run-cache.js';
import { placeRules, ruleApplies, type PlacedRule } from './evaluate-write.js';
import type { Policy, Rule } from './policy-types.js';
import { RuleIndex } from './rule-index.js';
import { CachedPlacement } from './rule-placement.js';

/** Which accesses the enricher turns into events; every access is applied to the device model
 *  whatever this says (old values, identities and roles depend on all of them). */
export interface AccessFilter {
  /** Reads (a judge reads writes only; a live view shows reads too). */
  readonly reads: boolean;
  /** Known writes to devices in the role 'other' (judged only when some rule applies to them). */
  readonly otherWrites: boolean;
}

/** Every access: what a run without a policy, or a live view, wants. */
export const ALL_ACCESSES: AccessFilter = Object.freeze({ reads: true, otherWrites: true });

export interface CompiledPolicy {
  readonly policy: Policy;
  readonly index: RuleIndex;
  readonly placement: CachedPlacement;
  /** What the judge needs to see: writes, and writes to unprotected devices only when a rule
   *  applies to them. Unattributed writes always come through (they are reported). */
  readonly filter: AccessFilter;
  /** The rules of `rules` (a RuleIndex list) placed on a device of this identity and role. */
  placed(rules: readonly Rule[], id: DeviceRecord, role: Role): readonly PlacedRule[];
}

/** Where rules sit depends on the header type and the capability offsets only (registerRange). */
const shapeOf = (role: Role, id: DeviceRecord): string =>
  `${role}|${id.headerType ?? ''}|${(id.caps ?? []).map((c) => `${c.id}@${c.off}`).join(',')}|${(id.ecaps ?? []).map((c) => `${c.id}@${c.off}`).join(',')}`;

/** Shapes kept at once; past that the cache starts again (placing is only redone, never wrong). */
const MAX_SHAPES = 4096;

type PlacedLists = Map<readonly Rule[], readonly PlacedRule[]>;
/** Two comparisons, not a lookup keyed by the role's name (a generic keyed load, every write). */
const roleSlot = (role: Role): 0 | 1 | 2 => (role === 'preserved' ? 0 : role === 'depended' ? 1 : 2);

export function compilePolicy(policy: Policy): CompiledPolicy {
  const index = new RuleIndex(policy.rules);
  const placement = new CachedPlacement();
  const judgesOthers = policy.rules.some((rule) => rule.kind !== 'target' && ruleApplies(rule, 'other'));
  const byShape = new Map<string, PlacedLists>();
  /** Per identity object (replaced, never mutated, when a device is learned better), per role:
   *  its shape's lists, so the shape key is built once per identity, not per write. */
  const byId = new RunCache<DeviceRecord, (PlacedLists | undefined)[]>(() => [undefined, undefined, undefined]);
  const listsFor = (id: DeviceRecord, role: Role): PlacedLists => {
    const slots = byId.get(id);
    const slot = roleSlot(role);
    let lists = slots[slot];
    if (lists === undefined) {
      const shape = shapeOf(role, id);
      lists = byShape.get(shape);
      if (lists === undefined) {
        if (byShape.size >= MAX_SHAPES) byShape.clear();
        lists = new Map();
        byShape.set(shape, lists);
      }
      slots[slot] = lists;
    }
    return lists;
  };
  return {
    policy, index, placement,
    filter: Object.freeze({ reads: false, otherWrites: judgesOthers }),
    placed(rules, id, role) {
      const lists = listsFor(id, role);
      let placed = lists.get(rules);
      if (placed === undefined) {
        placed = placeRules(rules, id, role, placement);
        lists.set(rules, placed);
      }
      return placed;
    },
  };
}
