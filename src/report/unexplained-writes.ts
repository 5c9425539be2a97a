// The writes a policy is silent about: a known write to a protected (preserved or depended) device
// that changes bits no applicable rule covers, or, its old value unknown, writes a register no
// applicable rule mentions at all. checkPolicy emits findings only when a rule matches, so without
// this a write the policy never thought of would look like a pass; a justification report must
// list it for the patch author to explain. Runs after enrichAccesses,
// next to checkPolicy (see reportEvents), with the same RoleMap, RuleIndex and rule semantics.

import { Observable, type OperatorFunction } from 'rxjs';
import type { Inventory } from '../identity/inventory.js';
import { RoleMap } from '../policy/device-roles.js';
import { ruleApplies } from '../policy/evaluate-write.js';
import type { DeviceRef, WriteContext } from '../policy/findings.js';
import { writeContextOf } from '../policy/findings.js';
import type { Policy } from '../policy/policy-types.js';
import { project, registerRange } from '../policy/register-range.js';
import { RuleIndex } from '../policy/rule-index.js';
import { diffFields } from '../registers/fields.js';
import { attributesOf, judgedAfter } from '../registers/write-semantics.js';
import type { AccessEvent, PipelineEvent } from '../pipeline/events.js';

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

/** PRIMARY_BUS, SECONDARY_BUS, SUBORDINATE_BUS: 0x18-0x1a. Same trigger as checkPolicy's. */
const touchesBusNumbers = (e: AccessEvent): boolean => e.access.off !== null && e.access.off <= 0x1a && e.access.off + e.access.size > 0x18;

const sizeMask = (size: number): number => (size >= 4 ? 0xffffffff : 256 ** size - 1);

export function unexplainedWrites(policy: Policy, inventory: Inventory): OperatorFunction<PipelineEvent, UnexplainedWrite> {
  return (source) => new Observable<UnexplainedWrite>((subscriber) => {
    // Own role map and index per subscription: nothing shared with checkPolicy or another run.
    const roles = new RoleMap(inventory, policy.preserved);
    const index = new RuleIndex(policy.rules);
    // Target rules count as mentioning their register: "ends as" judges every write to it.
    const targets = policy.rules.filter((r) => r.kind === 'target');

    const onWrite = (e: AccessEvent): void => {
      const a = e.access;
      if (!a.known || e.bdf === null || a.off === null) return;
      const role = roles.role(e.bdf);
      if (role === 'other') return;
      const id = inventory.state(a.seg!, a.bus!, a.devfn!).identity();
      let covered = 0;
      let mentioned = false;
      for (const rule of [...index.candidates(e), ...targets]) {
        if (!ruleApplies(rule, role)) continue;
        const range = registerRange(rule.register, id);
        if (range === null) continue;
        if (range === 'any') { covered = sizeMask(a.size); break; }
        // The rule's mask, moved from its register's coordinates into the access's.
        const p = project(rule.mask, range[0], range[1] - range[0], a.off, a.off + a.size);
        if (p.covered !== 0) mentioned = true;
        covered = (covered | p.value) >>> 0;
      }
      const uncovered = (sizeMask(a.size) & ~covered) >>> 0;
      if (uncovered === 0) return;
      // Old value unknown on a register some rule covers in part: that rule's finding already
      // shows this write (`? -> new`); listing it again for bits such as a read-only table size
      // would bury the writes nobody thought of.
      if ((e.old === null || a.val === null) && mentioned) return;
      const reg = e.register ?? `0x${a.off.toString(16)}`;
      let change: UnexplainedWrite['change'] = 'unknown-old';
      let fields: string[] = [];
      if (e.old !== null && a.val !== null) {
        const after = judgedAfter(attributesOf(reg, a.size), e.old, a.val);
        const moved = ((e.old ^ after) & uncovered) >>> 0;
        change = moved === 0 ? 'same' : 'changed';
        fields = diffFields(reg, (e.old & uncovered) >>> 0, (after & uncovered) >>> 0, a.size).map((c) => c.text);
      }
      subscriber.next({
        kind: 'unexplained', device: { bdf: e.bdf, vendor: id.vendor ?? null, device: id.device ?? null, role },
        register: reg, width: a.size, uncovered, old: e.old, new: a.val, oldStale: e.oldStale && e.old !== null, change, fields,
        ...writeContextOf(e),
      });
    };

    return source.subscribe({
      next(e) {
        if (e.kind === 'device') roles.refresh();
        if (e.kind !== 'access') return;
        if (e.access.op === 'w') onWrite(e);
        // Roles follow bus numbers exactly as checkPolicy's do: judged before, refreshed after.
        if (touchesBusNumbers(e) && (e.access.op === 'w' || (e.old === null && e.access.val !== null))) roles.refresh();
      },
      error: (err: unknown) => subscriber.error(err),
      complete: () => subscriber.complete(),
    });
  });
}
