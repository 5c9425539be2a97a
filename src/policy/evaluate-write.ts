// The verdicts of one policy on one write: which rules the write falls under, whether the bits a
// rule protects changed (old -> new as the device holds it: read-only bits keep their value, RW1C
// clears are clears, a self-clearing bit written 0 stays 0: registers/write-semantics.ts), and whether an expect
// rule explains it. Pure: the caller supplies the device identity, role and the write's context.

import type { AccessEvent } from '../model/events.js';
import type { DeviceRecord } from '../model/records.js';
import type { Role } from './device-roles.js';
import type { Change, Finding } from './findings.js';
import { withWriteContext } from './findings.js';
import type { Rule } from './policy-types.js';
import { project } from './register-range.js';
import { directPlacement, type Placement } from './rule-placement.js';
import { judgedAfter, unmovable, type Attributes } from '../registers/write-semantics.js';

export function ruleApplies(rule: Rule, role: Role): boolean {
  switch (rule.appliesTo) {
    case 'any': return true;
    case 'preserved': return role === 'preserved';
    case 'depended': return role === 'depended';
    case 'preserved+depended': return role !== 'other';
  }
}

interface Hit {
  rule: Rule;
  start: number;
  end: number;
  old: number | null;
  new: number;
  /** The register's bits after the write (write-semantics.ts judgedAfter), when old is known. */
  after: number | null;
  /** Bits of the rule's mask this write touched. */
  mask: number;
  change: Change;
  /** Bits that changed or may have changed. */
  moved: number;
}

function hitOf(rule: Rule, start: number, end: number, e: AccessEvent, attrs: Attributes): Hit | null {
  const a = e.access;
  if (a.off! >= end || a.off! + a.size <= start) return null;
  const written = project(a.val ?? 0, a.off!, a.size, start, end);
  const mask = (rule.mask & written.covered) >>> 0;
  if (mask === 0) return null;
  if (a.val === null) return { rule, start, end, old: null, new: written.value, after: null, mask, change: 'unknown-old', moved: mask };
  if (e.old === null) {
    // Read-only bits, and RW1C / RW1S / self-clearing bits written 0, keep their value whatever
    // it was: only the rest may have moved.
    const moved = (mask & ~unmovable(attrs, written.value)) >>> 0;
    return { rule, start, end, old: null, new: written.value, after: null, mask, change: moved === 0 ? 'same' : 'unknown-old', moved };
  }
  const old = project(e.old, a.off!, a.size, start, end).value;
  const after = judgedAfter(attrs, old, written.value);
  const moved = ((old ^ after) & mask) >>> 0;
  return { rule, start, end, old, new: written.value, after, mask, change: moved === 0 ? 'same' : 'changed', moved };
}

/** Call sites are named by plain function (plainFunction): compiler clones (`.cold`, `.isra.0`) match. */
const callSiteMatches = (rule: Rule, e: AccessEvent, placement: Placement): boolean =>
  !rule.callSites || rule.callSites.length === 0 || (e.callSite !== null && rule.callSites.includes(placement.plainFunction(e.callSite)));

/** A rule that applies to one device in one role, with where its register sits on that device. */
export interface PlacedRule {
  rule: Rule;
  /** [start, end) of the register; unused for the `*` register (any), which is the write's own bytes. */
  start: number;
  end: number;
  any: boolean;
  attrs: Attributes;
}

/** The rules (of those indexed for a write) that apply to this device and role and that it has a
 *  register for, in rule order: what evaluatePlaced looks at. Depends on the rules, the identity
 *  and the role only, so a caller judging many writes may keep it (the pipeline does, per device). */
export function placeRules(rules: readonly Rule[], id: DeviceRecord, role: Role, placement: Placement = directPlacement): PlacedRule[] {
  const out: PlacedRule[] = [];
  for (const rule of rules) {
    if (rule.kind === 'target' || !ruleApplies(rule, role)) continue;
    const range = placement.range(rule, id);
    if (range === null) continue;
    out.push(range === 'any'
      ? { rule, start: 0, end: 0, any: true, attrs: placement.attributes(rule, id) }
      : { rule, start: range[0], end: range[1], any: false, attrs: placement.attributes(rule, id) });
  }
  return out;
}

/** Findings for one known write on one device. `rules` are those indexed for this write;
 *  `placement` may remember where rules sit on a device (the pipeline's cache) or not. */
export function evaluateWrite(rules: readonly Rule[], id: DeviceRecord, role: Role, e: AccessEvent, placement: Placement = directPlacement): readonly Finding[] {
  return evaluatePlaced(placeRules(rules, id, role, placement), id, role, e, placement);
}

/** Readonly by its type, not frozen, as judge.ts's NOTHING (V8 lowers for-of over it then). */
const NO_FINDINGS: readonly Finding[] = [];

/** evaluateWrite with the rules already placed on the device (placeRules). The answer is one
 *  shared empty array when there are no findings (most writes). */
export function evaluatePlaced(placed: readonly PlacedRule[], id: DeviceRecord, role: Role, e: AccessEvent, placement: Placement = directPlacement): readonly Finding[] {
  const from = e.access.off!;
  const to = from + e.access.size;
  let hits: Hit[] | null = null;
  for (const p of placed) {
    // Most placed rules sit elsewhere on the device: ruled out before any work.
    if (!p.any && (from >= p.end || to <= p.start)) continue;
    const hit = p.any ? hitOf(p.rule, from, to, e, p.attrs) : hitOf(p.rule, p.start, p.end, e, p.attrs);
    if (hit) (hits ??= []).push(hit);
  }
  if (hits === null) return NO_FINDINGS;
  // Plain loops below, not filter/find/some: this runs for every write to a protected device.
  const expects: Hit[] = [];
  for (const h of hits) if (h.rule.kind === 'expect' && callSiteMatches(h.rule, e, placement)) expects.push(h);
  const out: Finding[] = [];
  for (const h of hits) {
    if (h.rule.kind === 'expect') continue;
    const broken = h.rule.kind === 'deny' || h.change !== 'same';
    if (!broken) continue;
    // An expect rule explains the write when it covers every bit that (may have) moved.
    const bits = h.rule.kind === 'deny' ? h.mask : h.moved;
    let why: Hit | undefined;
    for (const x of expects) {
      if (overlapsAll(x, h, bits)) {
        why = x;
        break;
      }
    }
    out.push(finding(why ? 'expected' : 'violation', why ?? h, id, role, e, placement, why ? h.rule.id : undefined));
  }
  if (expects.length === 0) return out;
  // A set, not a search of `out` per expect rule: with thousands of `*` rules on one write that
  // search was quadratic (5,000 rules: 25M comparisons per write).
  const reported = new Set<string>();
  for (const f of out) reported.add(f.rule.id);
  for (const x of expects) {
    if (reported.has(x.rule.id)) continue;
    reported.add(x.rule.id);
    out.push(finding('expected', x, id, role, e, placement));
  }
  return out;
}

/** Does expect hit `x` cover `bits` of hit `h`? Both are in their own register coordinates. */
function overlapsAll(x: Hit, h: Hit, bits: number): boolean {
  for (let b = h.start; b < h.end; b++) {
    const need = Math.floor(bits / 256 ** (b - h.start)) & 0xff;
    if (need === 0) continue;
    if (b < x.start || b >= x.end) return false;
    const have = Math.floor(x.mask / 256 ** (b - x.start)) & 0xff;
    if ((need & ~have) !== 0) return false;
  }
  return true;
}

function finding(verdict: Finding['verdict'], h: Hit, id: DeviceRecord, role: Role, e: AccessEvent, placement: Placement, overrides?: string): Finding {
  const r = h.rule;
  const fields = h.old !== null && h.after !== null && r.register.space !== 'any'
    ? placement.changedFields(r, (h.old & h.mask) >>> 0, (h.after & h.mask) >>> 0)
    : r.fields;
  const f: Finding = withWriteContext({
    kind: 'finding' as const, verdict, rule: { id: r.id, kind: r.kind, severity: r.severity, why: r.why, source: r.source },
    device: { bdf: id.bdf, vendor: id.vendor ?? null, device: id.device ?? null, role },
    register: r.register.space === 'any' ? e.register ?? '?' : r.register.text, accessed: e.register,
    fields, old: h.old, new: h.new, oldStale: e.oldStale && h.old !== null, change: h.change, mask: h.mask, width: h.end - h.start,
  }, e);
  if (overrides) f.overrides = overrides;
  return f;
}
