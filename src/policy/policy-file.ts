// The policy file as written (JSON, docs/policy.md, docs/policy.schema.json): the shapes the
// built-in policies are typed against and the key lists the loader and the schema test share.
// load-policy.ts turns these into the validated shapes of policy-types.ts.

import type { RoleSet, Severity } from './policy-types.js';

/** A number as a JSON number or a hex string (`"0x1b36"`): PCI ids and masks read better in hex. */
export type NumberJson = number | string;

export type RuleKindJson = 'preserve' | 'deny' | 'expect' | 'allow' | 'target';

export interface SelectorJson {
  bdf?: string;
  vendor?: NumberJson;
  device?: NumberJson;
  subvendor?: NumberJson;
  subdevice?: NumberJson;
  class?: NumberJson;
  classMask?: NumberJson;
  driver?: string;
}

export interface RuleJson {
  id: string;
  kind: RuleKindJson;
  /** setpci register name (`COMMAND`, `CAP_EXP+0x8`, `ECAP_ACS+0x6@1`) or `*`. */
  register: string;
  /** Field name(s) of the register's bit-field table; the mask is their union. */
  field?: string | string[];
  /** The mask given directly, when no field names it. */
  bits?: NumberJson;
  /** target: the value the masked bits must have. */
  value?: NumberJson;
  /** target: when the value must hold; default `end` (end of the trace). */
  at?: 'end' | { phase: string };
  appliesTo?: RoleSet;
  /** expect/allow: only writes made from these functions. */
  callSites?: string[];
  severity?: Severity;
  why: string;
}

export interface PolicyFile {
  $schema?: string;
  'cfgscope-policy': 1;
  name?: string;
  description?: string;
  extends?: string[];
  preserved?: SelectorJson[];
  rules?: RuleJson[];
}

/** The only file format version this loader reads. */
export const POLICY_VERSION = 1;
export const VERSION_KEY = 'cfgscope-policy';

export const TOP_KEYS: readonly string[] = ['$schema', VERSION_KEY, 'name', 'description', 'extends', 'preserved', 'rules'];
export const RULE_KEYS: readonly string[] = [
  'id', 'kind', 'register', 'field', 'bits', 'value', 'at', 'appliesTo', 'callSites', 'severity', 'why',
];
export const SELECTOR_KEYS: readonly string[] = ['bdf', 'vendor', 'device', 'subvendor', 'subdevice', 'class', 'classMask', 'driver'];
export const RULE_KINDS: readonly RuleKindJson[] = ['preserve', 'deny', 'expect', 'allow', 'target'];
export const ROLE_SETS: readonly RoleSet[] = ['preserved', 'depended', 'preserved+depended', 'any'];

/** Rule ids: short, greppable, safe in a report column and a JSON path. */
export const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;
/** A plain kernel function name. Stacks also show compiler clones (`aer_enable_rootport.isra.0`,
 *  `pci_setup_device.cold`); the engine matches those by their plain name, so a rule gives that. */
export const CALL_SITE_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Hex string form of a number, at most 32 bits. */
export const HEX_RE = /^0[xX][0-9a-fA-F]{1,8}$/;
