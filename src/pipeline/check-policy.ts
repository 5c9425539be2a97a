// The policy stage of the pipeline: after enrichAccesses, every known write to a device the policy
// protects is evaluated against the rules that can touch it; target rules are checked when their
// phase ends or the stream ends. Replay (`check`) and live capture run this same stage (fused with
// enrichAccesses: enrichAndCheck), `serve` through judgeAccesses, `report` next to its own stage.

import { Observable, type OperatorFunction } from 'rxjs';
import type { DeviceState, Inventory } from '../identity/inventory.js';
import type { AccessRecord, DeviceRecord } from '../model/records.js';
import type { BootSelector } from '../model/boot-selection.js';
import { RoleMap, type Role } from '../policy/device-roles.js';
import { evaluatePlaced, placeRules, ruleApplies, type PlacedRule } from '../policy/evaluate-write.js';
import type { Finding, TargetFinding, UnattributedWrite } from '../policy/findings.js';
import { writeContextOf } from '../policy/findings.js';
import type { Policy, Rule } from '../policy/policy-types.js';
import { RuleIndex } from '../policy/rule-index.js';
import { CachedPlacement } from '../policy/rule-placement.js';
import { checkTargets } from '../policy/check-targets.js';
import type { EnrichShortcuts } from './enrich-accesses.js';
import type { AccessEvent, EndEvent, PipelineEvent } from './events.js';

export interface CheckTotals {
  kind: 'check-totals';
  /** Known writes seen, and those to devices the policy protects. */
  writes: number;
  protectedWrites: number;
  /** Writes to protected devices that kept every protected bit (the precise policy's passes). */
  sameValue: number;
  violations: number;
  expected: number;
  unattributed: number;
  // boot: set by `--boot` (select-boot.ts): the three counts above are that boot's
  boot?: BootSelector;
}

/** PRIMARY_BUS, SECONDARY_BUS, SUBORDINATE_BUS: 0x18-0x1a of a bridge's header. */
const touchesBusNumbers = (a: AccessRecord): boolean => a.off !== null && a.off <= 0x1a && a.off + a.size > 0x18;

/** Only a bridge (or a device whose header type is still unknown) has bus numbers there; on an
 *  endpoint 0x18-0x1a is BASE_ADDRESS_2, which BAR sizing writes on every enumeration. */
const mayBeBridge = (id: DeviceRecord): boolean => id.headerType === undefined || (id.headerType & 0x7f) === 1;

interface DeviceJudge {
  dev: DeviceState;
  seg: number;
  bus: number;
  devfn: number;
  id: DeviceRecord | null;
  role: Role;
  /** roles.generation when role was taken. */
  generation: number;
  /** Per candidate rule list, the rules placed on devices of this one's role and layout
   *  (placedByShape): shared, so thousands of rules are not placed again on every device. */
  placed: Map<readonly Rule[], readonly PlacedRule[]> | null;
}

/** Where rules sit depends on the header type and the capability offsets only (registerRange). */
const shapeOf = (role: Role, id: DeviceRecord): string =>
  `${role}|${id.headerType ?? ''}|${(id.caps ?? []).map((c) => `${c.id}@${c.off}`).join(',')}|${(id.ecaps ?? []).map((c) => `${c.id}@${c.off}`).join(',')}`;

/** Shapes kept at once; past that the cache starts again (placing is only redone, never wrong). */
const MAX_SHAPES = 4096;

export type CheckEvent = Finding | TargetFinding | UnattributedWrite | CheckTotals | Exclude<PipelineEvent, AccessEvent>;

/** The stage as plain calls (see AccessEnricher): what checkPolicy runs per subscription. As the
 *  shortcuts of an enricher that feeds only this stage (enrichAndCheck): it reads no read without
 *  a value (`wants`), and it takes every read, and every write to an unprotected device that no
 *  rule applies to, without its event (`takes`: a read may show a bridge's bus range, such a
 *  write is counted and may move bus numbers; that is all the events would have been for). */
export interface PolicyChecker extends EnrichShortcuts {
  next(e: PipelineEvent): void;
}

export function policyChecker(policy: Policy, inventory: Inventory, emit: (e: CheckEvent) => void): PolicyChecker {
  const roles = new RoleMap(inventory, policy.preserved);
  const index = new RuleIndex(policy.rules);
  const placement = new CachedPlacement();
  const totals: CheckTotals = { kind: 'check-totals', writes: 0, protectedWrites: 0, sameValue: 0, violations: 0, expected: 0, unattributed: 0 };
  let phase = 'boot';

  /** What the stage keeps per device: its role and, per candidate rule list, the rules placed on
   *  it; valid while the identity object and the roles' generation are the ones it was made for. */
  const perDevice = new Map<DeviceState, DeviceJudge>();
  const placedByShape = new Map<string, Map<readonly Rule[], readonly PlacedRule[]>>();
  const placedFor = (role: Role, id: DeviceRecord): Map<readonly Rule[], readonly PlacedRule[]> => {
    const shape = shapeOf(role, id);
    let m = placedByShape.get(shape);
    if (!m) {
      if (placedByShape.size >= MAX_SHAPES) placedByShape.clear();
      m = new Map();
      placedByShape.set(shape, m);
    }
    return m;
  };
  let last: DeviceJudge | null = null;
  const judgeOf = (a: AccessRecord): DeviceJudge => {
    let j = last;
    if (j === null || a.devfn !== j.devfn || a.bus !== j.bus || a.seg !== j.seg) {
      const dev = inventory.state(a.seg!, a.bus!, a.devfn!);
      j = perDevice.get(dev) ?? null;
      if (j === null) {
        j = { dev, seg: a.seg!, bus: a.bus!, devfn: a.devfn!, id: null, role: 'other', generation: -1, placed: null };
        perDevice.set(dev, j);
      }
      last = j;
    }
    return j;
  };
  /** The device's identity and role now, dropping placed rules made for another of either. */
  const current = (j: DeviceJudge): void => {
    const id = j.dev.identity();
    if (j.generation !== roles.generation || j.id !== id) {
      const role = roles.role(j.dev.bdf);
      if (role !== j.role || id !== j.id) j.placed = null;
      j.role = role;
      j.id = id;
      j.generation = roles.generation;
    }
  };

  /** A known access at a bridge's bus numbers: what follows may have other depended devices. */
  const movesBusNumbers = (a: AccessRecord): boolean => touchesBusNumbers(a) && mayBeBridge(judgeOf(a).dev.identity());
  /** All a read means to the policy: the first sight of a bridge's bus range. */
  const onRead = (a: AccessRecord, old: number | null, bdf: string | null): void => {
    if (old === null && a.val !== null && bdf !== null && movesBusNumbers(a)) roles.refresh();
  };

  /** Whether any rule applies to devices the policy does not protect: when none does, a write
   *  to such a device is only counted (and may move bus numbers). */
  const judgesOthers = policy.rules.some((rule) => rule.kind !== 'target' && ruleApplies(rule, 'other'));

  const emitTargets = (at: 'end' | string): void => {
    for (const t of checkTargets(index.targets(at), inventory, roles)) {
      if (t.verdict === 'violation') totals.violations++;
      emit(t);
    }
  };

  const onWrite = (e: AccessEvent): void => {
    const a = e.access;
    if (!a.known || e.bdf === null) {
      totals.unattributed++;
      emit({ kind: 'unattributed', fn: a.fn, ...writeContextOf(e) });
      return;
    }
    totals.writes++;
    const j = judgeOf(a);
    current(j);
    const role: Role = j.role;
    const rules: readonly Rule[] = index.candidates(e);
    if (rules.length > 0) {
      if (role !== 'other') totals.protectedWrites++;
      const shared = (j.placed ??= placedFor(role, j.id!));
      let placed = shared.get(rules);
      if (!placed) {
        placed = placeRules(rules, j.id!, role, placement);
        shared.set(rules, placed);
      }
      const found = evaluatePlaced(placed, j.id!, role, e, placement);
      if (found.length === 0 && role !== 'other') totals.sameValue++;
      for (const f of found) {
        if (f.verdict === 'violation') totals.violations++; else totals.expected++;
        emit(f);
      }
    }
    // A write to a bridge's bus numbers moves the set of depended devices: judged above by the
    // roles before it, it changes them for what follows.
    if (movesBusNumbers(a)) roles.refresh();
  };

  return {
    next(e) {
      switch (e.kind) {
        case 'access':
          if (e.access.op === 'w') onWrite(e);
          else onRead(e.access, e.old, e.bdf);
          return;
        case 'device':
          roles.refresh();
          emit(e);
          return;
        case 'phase':
          emitTargets(phase);
          phase = e.phase.label;
          emit(e);
          return;
        case 'end':
          emitTargets(phase);
          emitTargets('end');
          emit(totals);
          emit(e satisfies EndEvent);
          return;
        default:
          emit(e);
      }
    },
    wants: (a) => a.op === 'w' || a.val !== null,
    takes(a, dev, old) {
      if (a.op !== 'w') {
        onRead(a, old, dev.bdf);
        return true;
      }
      const j = judgeOf(a);
      current(j);
      if (j.role !== 'other' || judgesOthers) return false;
      // What onWrite does with such a write: no rule to evaluate, no finding, no total but writes.
      totals.writes++;
      if (movesBusNumbers(a)) roles.refresh();
      return true;
    },
  };
}

export function checkPolicy(policy: Policy, inventory: Inventory): OperatorFunction<PipelineEvent, CheckEvent> {
  return (source) => new Observable<CheckEvent>((subscriber) => {
    // One checker per subscription: its roles, caches and totals belong to this run.
    const checker = policyChecker(policy, inventory, (e) => subscriber.next(e));
    return source.subscribe({
      next: (e) => checker.next(e),
      error: (err: unknown) => subscriber.error(err),
      complete: () => subscriber.complete(),
    });
  });
}
