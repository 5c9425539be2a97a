// Problem collection for the policy loader: every check adds a coded problem with its JSON path
// and carries on, so one run reports all mistakes (Falco's rule loader does the same). Codes are
// listed in docs/policy.md; tests assert them.

import type { PolicyProblem } from './policy-types.js';
import { HEX_RE } from './policy-file.js';

/** A problem, with the 1-based line when the file could be located that precisely (bad JSON). */
export interface PolicyLoadProblem extends PolicyProblem {
  line?: number;
}

/** The problems of one loading run. One instance per call: nothing is kept between runs. */
export class ProblemList {
  readonly items: PolicyLoadProblem[] = [];

  error(file: string, path: string, code: string, message: string, line?: number): void {
    this.items.push({ code, message, file, path, level: 'error', ...(line !== undefined ? { line } : {}) });
  }

  warn(file: string, path: string, code: string, message: string): void {
    this.items.push({ code, message, file, path, level: 'warning' });
  }
}

/** The problems of one file, with the file filled in. */
export interface FileProblems {
  readonly file: string;
  error(path: string, code: string, message: string): void;
  warn(path: string, code: string, message: string): void;
}

export const forFile = (list: ProblemList, file: string): FileProblems => ({
  file,
  error: (path, code, message) => list.error(file, path, code, message),
  warn: (path, code, message) => list.warn(file, path, code, message),
});

export const hasErrors = (problems: readonly PolicyProblem[]): boolean => problems.some((p) => p.level === 'error');

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `$.rules[3].register`; keys that are not identifiers in brackets: `$['cfgscope-policy']`. */
export const at = (parent: string, key: string | number): string =>
  typeof key === 'number' ? `${parent}[${key}]` : IDENT.test(key) ? `${parent}.${key}` : `${parent}['${key.replace(/'/g, "\\'")}']`;

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export const jsonType = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Reports keys outside `allowed` (typos would otherwise silently do nothing). */
export function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], path: string, p: FileProblems): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) p.error(at(path, key), 'POLICY_UNKNOWN_KEY', `unknown key "${key}"; expected one of ${allowed.join(', ')}`);
  }
}

export const hex = (n: number, width = 0): string => `0x${n.toString(16).padStart(width, '0')}`;

/**
 * A non-negative integer up to `max`, as a JSON number or a `0x` hex string. Decimal strings are
 * refused: `"10"` is ambiguous between setpci's hex habit and JSON's decimal one.
 */
export function parseNumber(v: unknown, path: string, p: FileProblems, max = 0xffffffff): number | undefined {
  let n: number | undefined;
  if (typeof v === 'number' && Number.isInteger(v)) n = v;
  else if (typeof v === 'string' && HEX_RE.test(v)) n = parseInt(v.slice(2), 16);
  if (n === undefined) {
    p.error(path, 'POLICY_BAD_NUMBER', `expected an integer or a "0x..." hex string, got ${JSON.stringify(v)}`);
    return undefined;
  }
  if (n < 0 || n > max) {
    p.error(path, 'POLICY_BAD_NUMBER', `${JSON.stringify(v)} is out of range (0..${hex(max)})`);
    return undefined;
  }
  return n;
}

/** A string, or a POLICY_BAD_TYPE problem. */
export function parseString(v: unknown, path: string, p: FileProblems): string | undefined {
  if (typeof v === 'string') return v;
  p.error(path, 'POLICY_BAD_TYPE', `expected a string, got ${jsonType(v)}`);
  return undefined;
}

/** An array of strings (each checked), or a POLICY_BAD_TYPE problem. */
export function parseStrings(v: unknown, path: string, p: FileProblems): string[] | undefined {
  if (!Array.isArray(v)) {
    p.error(path, 'POLICY_BAD_TYPE', `expected an array of strings, got ${jsonType(v)}`);
    return undefined;
  }
  const out: string[] = [];
  v.forEach((x, i) => {
    const s = parseString(x, at(path, i), p);
    if (s !== undefined) out.push(s);
  });
  return out.length === v.length ? out : undefined;
}
