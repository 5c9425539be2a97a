// One policy file (or built-in) -> a PolicyDocument: the read and collect stages of loading.
// parsePolicy is pure (JSON value in, document and problems out); parsePolicyText adds the JSON
// parse with the error's line. Composition of several documents is in load-policy.ts.

import type { DeviceSelector, Rule } from './policy-types.js';
import { POLICY_VERSION, TOP_KEYS, VERSION_KEY } from './policy-file.js';
import {
  at, checkKeys, forFile, isObject, jsonType, parseString, parseStrings, ProblemList, type FileProblems, type PolicyLoadProblem,
} from './policy-problems.js';
import { jsonErrorOffset, jsonErrorWords, lineColumn } from './policy-json-error.js';
import { parseRule } from './policy-rule.js';
import { parseSelector } from './policy-selector.js';

export interface PolicyDocument {
  /** The file path or built-in name; rules carry it as their `source`. */
  file: string;
  name?: string;
  description?: string;
  /** `extends` entries as written, each with its JSON path (for problems found when following it). */
  extends: { spec: string; path: string }[];
  preserved: DeviceSelector[];
  /** The rules that are valid, in file order. */
  rules: Rule[];
  /** JSON path of each valid rule, by id. */
  rulePaths: Record<string, string>;
}

export interface ParsedPolicy {
  document: PolicyDocument;
  problems: PolicyLoadProblem[];
}

const ROOT = '$';

function optionalString(raw: Record<string, unknown>, key: string, p: FileProblems): string | undefined {
  return raw[key] === undefined ? undefined : parseString(raw[key], at(ROOT, key), p);
}

function arrayAt(raw: Record<string, unknown>, key: string, p: FileProblems): unknown[] {
  const v = raw[key];
  if (v === undefined) return [];
  if (Array.isArray(v)) return v;
  p.error(at(ROOT, key), 'POLICY_BAD_TYPE', `"${key}" is an array, got ${jsonType(v)}`);
  return [];
}

/** The collect stage over a JSON value, reporting into `p`. */
/** Rules per policy file: the built-ins have 42; the engine is indexed for thousands. */
export const MAX_RULES = 10_000;

export function collectPolicy(json: unknown, p: FileProblems): PolicyDocument {
  const doc: PolicyDocument = { file: p.file, extends: [], preserved: [], rules: [], rulePaths: {} };
  if (!isObject(json)) {
    p.error(ROOT, 'POLICY_BAD_TYPE', `a policy is a JSON object, got ${jsonType(json)}`);
    return doc;
  }
  checkKeys(json, TOP_KEYS, ROOT, p);
  const version = json[VERSION_KEY];
  if (version !== POLICY_VERSION) {
    const got = version === undefined ? 'it is missing' : `got ${JSON.stringify(version)}`;
    p.error(at(ROOT, VERSION_KEY), 'POLICY_VERSION', `"${VERSION_KEY}": ${POLICY_VERSION} must say which format this is; ${got}`);
  }
  optionalString(json, '$schema', p);
  const name = optionalString(json, 'name', p);
  const description = optionalString(json, 'description', p);
  if (name !== undefined) doc.name = name;
  if (description !== undefined) doc.description = description;

  if (json.extends !== undefined) {
    const specs = parseStrings(json.extends, at(ROOT, 'extends'), p) ?? [];
    doc.extends = specs.map((spec, i) => ({ spec, path: at(at(ROOT, 'extends'), i) }));
  }
  arrayAt(json, 'preserved', p).forEach((raw, i) => {
    const sel = parseSelector(raw, at(at(ROOT, 'preserved'), i), p);
    if (sel) doc.preserved.push(sel);
  });

  const firstAt = new Map<string, string>();
  const rules = arrayAt(json, 'rules', p);
  if (rules.length > MAX_RULES) {
    // Refused whole, not cut: a policy that is partly applied would pass writes it meant to judge.
    p.error(at(at(ROOT, 'rules'), MAX_RULES), 'POLICY_TOO_MANY_RULES', `${rules.length} rules, over the limit of ${MAX_RULES} per file`);
    return doc;
  }
  rules.forEach((raw, i) => {
    const path = at(at(ROOT, 'rules'), i);
    // Duplicates are checked on the written id, so a broken rule still claims its id.
    const id = isObject(raw) && typeof raw.id === 'string' ? raw.id : undefined;
    const rule = parseRule(raw, path, p, p.file);
    if (id !== undefined) {
      const first = firstAt.get(id);
      if (first !== undefined) {
        p.error(at(path, 'id'), 'POLICY_DUPLICATE_ID', `rule id "${id}" is already used at ${first} in this file`);
        return;
      }
      firstAt.set(id, path);
    }
    if (rule) {
      doc.rules.push(rule);
      doc.rulePaths[rule.id] = path;
    }
  });
  return doc;
}

/** Parses a policy given as a JSON value (a built-in, or a file already parsed). Pure. */
export function parsePolicy(json: unknown, file: string): ParsedPolicy {
  const list = new ProblemList();
  const document = collectPolicy(json, forFile(list, file));
  return { document, problems: list.items };
}

/** Parses a policy file's text: POLICY_BAD_JSON (with its line) when it is not JSON. */
export function parsePolicyText(text: string, file: string): ParsedPolicy {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const words = jsonErrorWords(e instanceof Error ? e.message : String(e));
    const offset = jsonErrorOffset(text);
    const loc = lineColumn(text, offset >= 0 ? offset : text.length);
    const list = new ProblemList();
    list.error(file, ROOT, 'POLICY_BAD_JSON', `line ${loc.line} column ${loc.column}: ${words}`, loc.line);
    return { document: { file, extends: [], preserved: [], rules: [], rulePaths: {} }, problems: list.items };
  }
  return parsePolicy(json, file);
}
