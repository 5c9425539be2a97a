// One rule of a policy file -> a validated Rule (policy-types.ts). Every key is checked and every
// mistake reported with its path; the rule is returned only when it has none, so the engine never
// sees a half-understood rule.

import type { Rule, RuleKind, RoleSet, Severity } from './policy-types.js';
import { SEVERITIES } from './policy-types.js';
import { CALL_SITE_RE, ID_RE, ROLE_SETS, RULE_KEYS, RULE_KINDS, type RuleKindJson } from './policy-file.js';
import {
  at, checkKeys, hex, isObject, jsonType, parseNumber, parseString, parseStrings, type FileProblems,
} from './policy-problems.js';
import { fieldMask, resolveRegister, wholeMask, WILDCARD, type ResolvedRegister } from './policy-register.js';

/** Severity when the rule gives none: a broken preservation is an error, an expected write a note. */
export const DEFAULT_SEVERITY: Readonly<Record<RuleKind, Severity>> = { preserve: 'error', deny: 'error', target: 'error', expect: 'info' };
export const DEFAULT_APPLIES_TO: RoleSet = 'preserved+depended';

const KIND_OF: Readonly<Record<RuleKindJson, RuleKind>> = { preserve: 'preserve', deny: 'deny', expect: 'expect', allow: 'expect', target: 'target' };

function required(raw: Record<string, unknown>, key: string, path: string, p: FileProblems): string | undefined {
  if (raw[key] === undefined) {
    p.error(at(path, key), 'POLICY_MISSING_KEY', `a rule needs "${key}"`);
    return undefined;
  }
  return parseString(raw[key], at(path, key), p);
}

function parseKind(raw: Record<string, unknown>, path: string, p: FileProblems): RuleKind | undefined {
  const text = required(raw, 'kind', path, p);
  if (text === undefined) return undefined;
  if ((RULE_KINDS as readonly string[]).includes(text)) return KIND_OF[text as RuleKindJson];
  p.error(at(path, 'kind'), 'POLICY_BAD_KIND', `unknown kind "${text}"; expected one of ${RULE_KINDS.join(', ')}`);
  return undefined;
}

/** The rule's mask from `field` or `bits`; all bits when neither is given. */
function parseMask(raw: Record<string, unknown>, reg: ResolvedRegister, path: string, p: FileProblems): { mask: number; fields: string[] } | undefined {
  if (raw.field !== undefined && raw.bits !== undefined) {
    p.error(at(path, 'bits'), 'POLICY_FIELD_AND_BITS', 'give either "field" or "bits", not both');
    return undefined;
  }
  if (reg.key === WILDCARD && (raw.field !== undefined || raw.bits !== undefined)) {
    p.error(at(path, raw.field !== undefined ? 'field' : 'bits'), 'POLICY_BAD_WILDCARD', 'the register "*" stands for every register: it takes no field or bits');
    return undefined;
  }
  if (raw.field !== undefined) {
    const list = typeof raw.field === 'string' ? [raw.field] : parseStrings(raw.field, at(path, 'field'), p);
    if (list === undefined) return undefined;
    if (list.length === 0) {
      p.error(at(path, 'field'), 'POLICY_BAD_TYPE', 'an empty field list names no bits');
      return undefined;
    }
    const r = fieldMask(reg, list);
    if ('error' in r) {
      const where = Array.isArray(raw.field) && r.index !== undefined ? at(at(path, 'field'), r.index) : at(path, 'field');
      p.error(where, 'POLICY_UNKNOWN_FIELD', r.error);
      return undefined;
    }
    return r;
  }
  if (raw.bits !== undefined) {
    const bits = parseNumber(raw.bits, at(path, 'bits'), p);
    if (bits === undefined) return undefined;
    const all = wholeMask(reg);
    if (bits === 0 || (bits & ~all) !== 0) {
      p.error(at(path, 'bits'), 'POLICY_BITS_OUT_OF_RANGE', `bits ${hex(bits)} must be non-zero and fit ${reg.ref.text} (${reg.ref.width} bytes, ${hex(all)})`);
      return undefined;
    }
    return { mask: bits, fields: [] };
  }
  return { mask: wholeMask(reg), fields: [] };
}

function parseTarget(raw: Record<string, unknown>, reg: ResolvedRegister | undefined, mask: number | undefined, path: string, p: FileProblems): Rule['target'] {
  if (raw.value === undefined) {
    p.error(path, 'POLICY_TARGET_NEEDS_VALUE', 'a target rule needs "value": the state the register must reach');
    return undefined;
  }
  if (reg?.key === WILDCARD) {
    p.error(at(path, 'register'), 'POLICY_BAD_WILDCARD', 'a target names one register, not "*"');
    return undefined;
  }
  const value = parseNumber(raw.value, at(path, 'value'), p);
  if (value !== undefined && mask !== undefined && (value & ~mask) !== 0) {
    p.error(at(path, 'value'), 'POLICY_VALUE_OUTSIDE_MASK', `value ${hex(value)} has bits outside the mask ${hex(mask)}`);
    return undefined;
  }
  let when: 'end' | { phase: string } = 'end';
  if (raw.at !== undefined) {
    if (raw.at === 'end') when = 'end';
    else if (isObject(raw.at) && Object.keys(raw.at).length === 1 && typeof raw.at.phase === 'string' && raw.at.phase !== '') when = { phase: raw.at.phase };
    else {
      p.error(at(path, 'at'), 'POLICY_BAD_AT', `"at" is "end" or {"phase": "<name>"}, got ${JSON.stringify(raw.at)}`);
      return undefined;
    }
  }
  return value === undefined ? undefined : { value, at: when };
}

function parseCallSites(v: unknown, path: string, p: FileProblems): string[] | undefined {
  const list = parseStrings(v, path, p);
  if (list === undefined) return undefined;
  if (list.length === 0) p.error(path, 'POLICY_BAD_CALL_SITE', 'an empty call-site list matches no write; leave "callSites" out to match every call site');
  list.forEach((s, i) => {
    const plain = /^([A-Za-z_][A-Za-z0-9_]*)\.[A-Za-z0-9_.]+$/.exec(s)?.[1];
    if (plain !== undefined) p.error(at(path, i), 'POLICY_BAD_CALL_SITE', `give the plain function name "${plain}": it also matches its compiler clones such as "${s}"`);
    else if (!CALL_SITE_RE.test(s)) p.error(at(path, i), 'POLICY_BAD_CALL_SITE', `"${s}" is not a kernel function name`);
  });
  return list;
}

/** Keys that only mean something for one kind: given elsewhere they would be silently ignored. */
function checkKindKeys(raw: Record<string, unknown>, kind: RuleKind, path: string, p: FileProblems): void {
  const only: [string, RuleKind][] = [['callSites', 'expect'], ['value', 'target'], ['at', 'target']];
  for (const [key, k] of only) {
    if (raw[key] !== undefined && kind !== k) p.error(at(path, key), 'POLICY_KEY_NOT_FOR_KIND', `"${key}" applies to ${k} rules only, not ${kind}`);
  }
}

/** A rule from its JSON; undefined (with problems reported) when anything in it is wrong. */
export function parseRule(raw: unknown, path: string, p: FileProblems, source: string): Rule | undefined {
  if (!isObject(raw)) {
    p.error(path, 'POLICY_BAD_TYPE', `a rule is an object, got ${jsonType(raw)}`);
    return undefined;
  }
  let ok = true;
  const q: FileProblems = { file: p.file, warn: p.warn, error: (a, b, c) => { ok = false; p.error(a, b, c); } };
  checkKeys(raw, RULE_KEYS, path, q);

  const id = required(raw, 'id', path, q);
  if (id !== undefined && !ID_RE.test(id)) q.error(at(path, 'id'), 'POLICY_BAD_ID', `rule id "${id}" must match ${ID_RE.source}`);
  const kind = parseKind(raw, path, q);

  const regText = required(raw, 'register', path, q);
  let reg: ResolvedRegister | undefined;
  if (regText !== undefined) {
    const r = resolveRegister(regText);
    if (typeof r === 'string') q.error(at(path, 'register'), 'POLICY_UNKNOWN_REGISTER', r);
    else reg = r;
  }
  const masked = reg ? parseMask(raw, reg, path, q) : undefined;

  let severity: Severity | undefined;
  if (raw.severity !== undefined) {
    const s = parseString(raw.severity, at(path, 'severity'), q);
    if (s !== undefined && (SEVERITIES as readonly string[]).includes(s)) severity = s as Severity;
    else if (s !== undefined) q.error(at(path, 'severity'), 'POLICY_BAD_SEVERITY', `unknown severity "${s}"; expected one of ${SEVERITIES.join(', ')}`);
  }
  let appliesTo: RoleSet = DEFAULT_APPLIES_TO;
  if (raw.appliesTo !== undefined) {
    const s = parseString(raw.appliesTo, at(path, 'appliesTo'), q);
    if (s !== undefined && (ROLE_SETS as readonly string[]).includes(s)) appliesTo = s as RoleSet;
    else if (s !== undefined) q.error(at(path, 'appliesTo'), 'POLICY_BAD_APPLIES_TO', `unknown device set "${s}"; expected one of ${ROLE_SETS.join(', ')}`);
  }

  // Every rule says why: the reason is what a report quotes next to the write.
  const why = raw.why === undefined ? undefined : parseString(raw.why, at(path, 'why'), q);
  if (raw.why === undefined || (why !== undefined && why.trim() === '')) {
    q.error(at(path, 'why'), 'POLICY_MISSING_WHY', 'every rule needs a non-empty "why": the reason reports quote');
  }

  let callSites: string[] | undefined;
  let target: Rule['target'];
  if (kind !== undefined) {
    checkKindKeys(raw, kind, path, q);
    if (kind === 'expect' && raw.callSites !== undefined) callSites = parseCallSites(raw.callSites, at(path, 'callSites'), q);
    if (kind === 'target') target = parseTarget(raw, reg, masked?.mask, path, q);
  }

  if (!ok || id === undefined || kind === undefined || reg === undefined || masked === undefined || why === undefined) return undefined;
  return {
    id, kind, severity: severity ?? DEFAULT_SEVERITY[kind], why: why.trim(), register: reg.ref,
    mask: masked.mask, fields: masked.fields, appliesTo,
    ...(callSites ? { callSites } : {}), ...(target ? { target } : {}), source,
  };
}
