// The writes a policy is silent about: a known write to a protected (preserved or depended) device
// that changes bits no applicable rule covers, or, its old value unknown, writes a register no
// applicable rule mentions at all. The judge emits findings only when a rule matches, so without
// this a write the policy never thought of would look like a pass; a justification report must
// list it for the patch author to explain. A further verdict on each judged write (enrichAndJudge's
// `extra`): the same event, roles, rule index and rule placement as the judge's.

import type { AccessEvent, RegisterLocation } from '../model/events.js';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import { ruleApplies } from '../policy/evaluate-write.js';
import type { DeviceRef, WriteContext } from '../policy/findings.js';
import { writeContextOf } from '../policy/findings.js';
import { project } from '../policy/register-range.js';
import { diffFields, fieldView, type FieldView } from '../registers/fields.js';
import { headerKind } from '../registers/header.js';
import { attributesOf, judgedAfter, type Attributes } from '../registers/write-semantics.js';

export interface UnexplainedWrite extends WriteContext {
  kind: 'unexplained';
  device: DeviceRef;
  /** The accessed register, setpci-named (`LATENCY_TIMER`), and the access width in bytes. */
  register: string;
  width: number;
  /** Bits of the access no applicable rule covers, in the access's own bit positions. */
  uncovered: number;
  old: number | null;
  /** null when the probe saw the write but not its value. */
  new: number | null;
  oldStale: boolean;
  /** `same`: the uncovered bits kept their value (harmless, counted but not asked about). */
  change: 'changed' | 'same' | 'unknown-old';
  /** Fields among the uncovered bits that changed, e.g. `LATENCY_TIMER 0->32`; empty when unknown. */
  fields: string[];
}

const sizeMask = (size: number): number => (size >= 4 ? 0xffffffff : 256 ** size - 1);

/** A fresh verdict function for one run (its attribute cache is the run's). */
export function unexplainedWrites(): (e: AccessEvent, p: CompiledPolicy) => UnexplainedWrite | null {
  /** Per register location (one frozen object per layout, offset and width), its attributes and
   *  fields: its name is read once, not per write. */
  const known = new WeakMap<RegisterLocation, { at: Attributes; view: FieldView | undefined }>();
  return (e, p) => {
    const a = e.access;
    const loc = e.loc;
    const id = e.id;
    const role = e.role;
    if (a.op !== 'w' || e.device === null || loc === null || id === null || role === 'other') return null;
    const off = loc.off;
    let covered = 0;
    let mentioned = false;
    // Target rules count as mentioning their register: "ends as" judges every write to it.
    for (const list of [p.index.candidates(loc), p.index.targetRules]) {
      for (const rule of list) {
        if (!ruleApplies(rule, role)) continue;
        const range = p.placement.range(rule, id);
        if (range === null) continue;
        if (range === 'any') { covered = sizeMask(a.size); break; }
        // The rule's mask, moved from its register's coordinates into the access's.
        const pr = project(rule.mask, range[0], range[1] - range[0], off, off + a.size);
        if (pr.covered !== 0) mentioned = true;
        covered = (covered | pr.value) >>> 0;
      }
    }
    const uncovered = (sizeMask(a.size) & ~covered) >>> 0;
    if (uncovered === 0) return null;
    // Old value unknown on a register some rule covers in part: that rule's finding already
    // shows this write (`? -> new`); listing it again for bits such as a read-only table size
    // would bury the writes nobody thought of.
    if ((e.old === null || a.val === null) && mentioned) return null;
    let change: UnexplainedWrite['change'] = 'unknown-old';
    let fields: string[] = [];
    if (e.old !== null && a.val !== null) {
      let k = known.get(loc);
      if (k === undefined) {
        k = { at: attributesOf(loc.name, a.size, headerKind(id.headerType)), view: fieldView(loc.name, a.size) };
        known.set(loc, k);
      }
      const after = judgedAfter(k.at, e.old, a.val);
      const moved = ((e.old ^ after) & uncovered) >>> 0;
      change = moved === 0 ? 'same' : 'changed';
      if (moved !== 0 && k.view !== undefined) fields = diffFields(k.view, (e.old & uncovered) >>> 0, (after & uncovered) >>> 0, a.size).map((c) => c.text);
    }
    return {
      kind: 'unexplained', device: { bdf: e.device.bdf, vendor: id.vendor ?? null, device: id.device ?? null, role },
      register: loc.name, width: a.size, uncovered, old: e.old, new: a.val, oldStale: e.oldStale && e.old !== null, change, fields,
      ...writeContextOf(e),
    };
  };
}
