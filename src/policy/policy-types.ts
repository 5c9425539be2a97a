// A loaded, validated preservation policy (docs/policy.md): what the engine evaluates. The JSON
// file form is parsed and checked by load-policy.ts into these shapes; the engine never sees raw JSON.

export type Severity = 'info' | 'warning' | 'error' | 'critical';
export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'error', 'critical'];

/** preserve: masked bits keep their value (same value passes; RW1C bits written 1 are clears).
 *  deny: any write is a violation. expect: a known, fine write (needs `why`; may be narrowed to
 *  call sites). target: the register must end a phase or the trace at `value` under `mask`. */
export type RuleKind = 'preserve' | 'deny' | 'expect' | 'target';

/** Which devices a rule applies to. */
export type RoleSet = 'preserved' | 'depended' | 'preserved+depended' | 'any';

/** A device selector; every given field must match. */
export interface DeviceSelector {
  bdf?: string;
  vendor?: number;
  device?: number;
  subvendor?: number;
  subdevice?: number;
  /** 24-bit class code compared under classMask (default 0xffffff). */
  class?: number;
  classMask?: number;
  driver?: string;
}

/** A register as a policy names it: setpci base name + offset, resolved per device by layout. */
export interface RegisterRef {
  /** As written in the policy: `COMMAND`, `CAP_EXP+0x8`, `ECAP_ACS+0x6`, `*` for every register. */
  text: string;
  /** `COMMAND`, `CAP_EXP`, `ECAP_ACS`, or `*`. */
  base: string;
  /** Offset from the header start (header registers) or from the capability (capabilities). */
  rel: number;
  /** 0-based instance of a repeated capability (`@n`), 0 otherwise. */
  instance: number;
  width: 1 | 2 | 4;
  space: 'header' | 'cap' | 'ecap' | 'any';
}

export interface Rule {
  id: string;
  kind: RuleKind;
  severity: Severity;
  /** The justification reports quote. Required on every rule. */
  why: string;
  register: RegisterRef;
  /** Bits of the register the rule is about (already resolved from `field`/`bits`); all bits by default. */
  mask: number;
  /** Field names the mask came from, for messages (`MASTER`). */
  fields: string[];
  appliesTo: RoleSet;
  /** expect/allow: only writes whose responsible call site is one of these functions. */
  callSites?: string[];
  /** target: value under mask, and when it must hold. */
  target?: { value: number; at: 'end' | { phase: string } };
  /** Which file defined (or last overrode) the rule, for lint and reports. */
  source: string;
}

export interface Policy {
  /** Names of the composed policy files/builtins, in order. */
  sources: string[];
  preserved: DeviceSelector[];
  rules: Rule[];
}

/** A problem found while loading; loading reports all of them at once. */
export interface PolicyProblem {
  code: string;
  message: string;
  file: string;
  /** JSON path, e.g. `$.rules[3].register`. */
  path: string;
  level: 'error' | 'warning';
}
