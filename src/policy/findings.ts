// What checking a capture against a policy produces: one finding per (write, rule) that the policy
// has something to say about. Findings are records: replay and live emit the same ones.

import { KERNEL_1, type BootRef } from '../model/boots.js';
import type { AccessEvent, OldOrigin } from '../model/events.js';
import type { Severity, RuleKind } from './policy-types.js';

/** How a write relates to the bits a rule protects. */
export type Change =
  /** old value known and the masked bits changed */
  | 'changed'
  /** old value known and the masked bits kept their value (RW1C clears included) */
  | 'same'
  /** old value unknown: the masked bits may have changed (stated, never guessed) */
  | 'unknown-old';

export type Verdict = 'violation' | 'expected';

export interface DeviceRef {
  bdf: string;
  vendor: number | null;
  device: number | null;
  role: 'preserved' | 'depended' | 'other';
}

/** Where in the trace a write happened, and which code made it. */
export interface WriteContext {
  callSite: string | null;
  stack: readonly string[] | null;
  ts: number | null;
  phase: string;
  /** Index of the access among the capture's accesses, and its line in the raw input. */
  index: number;
  line: number | null;
  /** The call site's source line (`drivers/pci/probe.c:200`), when --vmlinux resolved it. */
  source?: string;
  /** Seen on the device side only (added by `import --attribute`): no kernel stack, by nature. */
  deviceOnly?: true;
  // boot: which kernel (or handover) of the capture made the write (src/model/boots.ts).
  boot: BootRef;
  /** The old value is the previous kernel's, from its capture (`--previous-capture`): where. */
  oldFrom?: OldOrigin;
}

/** Where and by whom an access was made, as findings carry it. */
export function writeContextOf(e: AccessEvent): WriteContext {
  return withWriteContext({}, e);
}

/** `o` with the access's write context added, in the order of a spread of writeContextOf(e) at
 *  its end, without the intermediate object: a large capture makes tens of thousands of findings. */
export function withWriteContext<T extends object>(o: T, e: AccessEvent): T & WriteContext {
  const c = o as T & WriteContext;
  c.callSite = e.callSite;
  c.stack = e.stack;
  c.ts = e.access.ts;
  c.phase = e.phase.label;
  c.boot = e.phase.boot ?? KERNEL_1; // boot: the finding's boot, as its phase has it
  c.index = e.index;
  c.line = e.access.line ?? null;
  if (e.access.layer === 'device') c.deviceOnly = true;
  if (e.oldOrigin !== undefined) c.oldFrom = e.oldOrigin;
  return c;
}

export interface Finding extends WriteContext {
  kind: 'finding';
  verdict: Verdict;
  rule: { id: string; kind: RuleKind; severity: Severity; why: string; source: string };
  /** When an expect rule turned a would-be violation into `expected`: the rule it overrode. */
  overrides?: string;
  device: DeviceRef;
  /** The rule's register as the policy names it (`COMMAND`, `CAP_EXP+0x28`) and the accessed name. */
  register: string;
  accessed: string | null;
  /** Fields of the rule's mask that the write changed (or may have changed), e.g. `MASTER 1->0`. */
  fields: string[];
  /** Values of the rule's register bytes the write touched; null when unknown. */
  old: number | null;
  new: number | null;
  /** The old value was known before an unattributed write and may have changed since. */
  oldStale: boolean;
  change: Change;
  mask: number;
  /** Width in bytes of the register `old`/`new`/`mask` are in. */
  width: number;
}

/** An end-of-phase or end-of-trace check of a `target` rule. */
export interface TargetFinding {
  kind: 'target';
  verdict: 'violation' | 'met';
  rule: Finding['rule'];
  device: DeviceRef;
  register: string;
  want: number;
  mask: number;
  /** Register value at that point, null when unknown. */
  actual: number | null;
  at: string;
}

/** A write whose target device the probe could not see (early boot): it may have touched a
 *  preserved device; reported by call site so nothing is silently assumed harmless. */
export interface UnattributedWrite extends WriteContext {
  kind: 'unattributed';
  fn: string | null;
}
