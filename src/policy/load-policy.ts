// Loads preservation policies (docs/policy.md): built-ins and JSON files, each with what it
// `extends` first, composed in order into one Policy. Like Falco's rule loader it works in
// stages (read, collect, compile) and reports every problem at once with a code and a JSON path;
// the caller decides what an error means (policy lint prints them, check refuses to run).

import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { CfgscopeError } from '../model/errors.js';
import { readSmallFile } from '../sources/small-file.js';
import type { DeviceSelector, Policy, Rule } from './policy-types.js';
import { BUILTIN_NAMES, builtinPolicy } from './builtin/index.js';
import { parsePolicy, parsePolicyText, type PolicyDocument } from './policy-document.js';
import { ProblemList, type PolicyLoadProblem } from './policy-problems.js';

export { parsePolicy, parsePolicyText, type ParsedPolicy, type PolicyDocument } from './policy-document.js';
export { hasErrors, type PolicyLoadProblem } from './policy-problems.js';
export { BUILTIN_NAMES } from './builtin/index.js';

export interface LoadedPolicy {
  policy: Policy;
  problems: PolicyLoadProblem[];
}

/**
 * Composes documents in order: a later rule with the same id replaces the earlier one in place
 * (POLICY_OVERRIDE, a warning: it is usually intended, but a reviewer should see it), and
 * `preserved` selectors accumulate. Pure.
 */
export function composeDocuments(docs: readonly PolicyDocument[], list = new ProblemList()): LoadedPolicy {
  const rules = new Map<string, Rule>();
  const preserved: DeviceSelector[] = [];
  for (const doc of docs) {
    for (const rule of doc.rules) {
      const prev = rules.get(rule.id);
      if (prev) {
        list.warn(doc.file, doc.rulePaths[rule.id] ?? '$', 'POLICY_OVERRIDE',
          `rule "${rule.id}" replaces the one from ${prev.source} (${prev.kind} ${prev.register.text} -> ${rule.kind} ${rule.register.text})`);
      }
      rules.set(rule.id, rule);
    }
    preserved.push(...doc.preserved);
  }
  return { policy: { sources: docs.map((d) => d.file), preserved, rules: [...rules.values()] }, problems: list.items };
}

/** Where a spec points: a built-in by name, or a file. */
type Resolved = { kind: 'builtin'; name: string; key: string } | { kind: 'file'; file: string; key: string };

// A spec with a path separator or a .json suffix is always a file, so a file can never be
// shadowed by a built-in of the same name by accident; anything else is a built-in if one exists.
const looksLikeFile = (spec: string): boolean => /[\\/]/.test(spec) || spec.endsWith('.json');

function resolveSpec(spec: string, fromDir: string | undefined): Resolved {
  if (!looksLikeFile(spec) && builtinPolicy(spec) !== undefined) return { kind: 'builtin', name: spec, key: `builtin:${spec}` };
  const file = fromDir !== undefined && !isAbsolute(spec) ? join(fromDir, spec) : spec;
  return { kind: 'file', file, key: resolve(file) };
}

interface Parent {
  file: string;
  /** Directory relative `extends` are resolved against; undefined for built-ins. */
  dir: string | undefined;
  path: string;
}

/** A source being loaded: its identity (built-in name or absolute path) and the name problems use. */
interface Loading {
  key: string;
  name: string;
}

/** One loading run: the problems, the documents in composition order, the sources already composed. */
interface Run {
  list: ProblemList;
  docs: PolicyDocument[];
  done: Set<string>;
}

/** A policy is a few kilobytes (luo-default is 9 KB); a file over this is refused, not read. */
export const MAX_POLICY_BYTES = 1 << 20;

async function readDocument(r: Resolved & { kind: 'file' }, parent: Parent | undefined, run: Run): Promise<PolicyDocument | undefined> {
  let text: string;
  try {
    // Bounded and regular files only: `extends: "/dev/zero"` must not read forever.
    text = readSmallFile(r.file, MAX_POLICY_BYTES, 'a policy').toString('utf8');
  } catch (e) {
    if (!(e instanceof CfgscopeError)) throw e;
    const where: [string, string] = parent ? [parent.file, parent.path] : [r.file, '$'];
    if (e.code === 'INPUT_TOO_LARGE') {
      run.list.error(...where, 'POLICY_TOO_LARGE', `"${r.file}" is over ${MAX_POLICY_BYTES} bytes: not read (a policy is a few kilobytes)`);
      return undefined;
    }
    if (e.code === 'INPUT_NOT_A_FILE') {
      run.list.error(...where, 'POLICY_NOT_A_FILE', `"${r.file}" is not a regular file: not read`);
      return undefined;
    }
    const missing = !existsSync(r.file);
    const builtins = `built-in policies: ${BUILTIN_NAMES.join(', ')}`;
    if (parent) run.list.error(parent.file, parent.path, 'POLICY_EXTENDS_NOT_FOUND', `"${r.file}" is neither a built-in policy nor ${missing ? 'an existing' : 'a readable'} file (${builtins})`);
    else if (missing) run.list.error(r.file, '$', 'POLICY_NOT_FOUND', `no such built-in policy or file (${builtins})`);
    else run.list.error(r.file, '$', 'POLICY_UNREADABLE', `cannot read: ${e.message.replace(/^.*?INPUT_\w+: /, '')}`);
    return undefined;
  }
  const parsed = parsePolicyText(text, r.file);
  run.list.items.push(...parsed.problems);
  return parsed.document;
}

async function loadSpec(spec: string, parent: Parent | undefined, stack: readonly Loading[], run: Run): Promise<void> {
  // Built-ins extend built-ins only: they ship inside cfgscope and have no directory.
  if (parent && parent.dir === undefined && looksLikeFile(spec)) {
    run.list.error(parent.file, parent.path, 'POLICY_EXTENDS_NOT_FOUND', `a built-in policy can only extend built-ins, not "${spec}"`);
    return;
  }
  const r = resolveSpec(spec, parent?.dir);
  if (stack.some((s) => s.key === r.key)) {
    const from = stack.findIndex((s) => s.key === r.key);
    const chain = [...stack.slice(from).map((s) => s.name), stack[from]!.name].join(' -> ');
    run.list.error(parent?.file ?? spec, parent?.path ?? '$', 'POLICY_EXTENDS_CYCLE', `extends itself: ${chain}`);
    return;
  }
  // Loaded already (two policies extending the same built-in): once is enough, and loading it
  // again would only replay its rules over the overrides made since.
  if (run.done.has(r.key)) return;

  let doc: PolicyDocument | undefined;
  if (r.kind === 'builtin') {
    const parsed = parsePolicy(builtinPolicy(r.name), r.name);
    run.list.items.push(...parsed.problems);
    doc = parsed.document;
  } else {
    doc = await readDocument(r, parent, run);
  }
  if (!doc) return;
  const dir = r.kind === 'file' ? dirname(r.file) : undefined;
  const inside = [...stack, { key: r.key, name: doc.file }];
  for (const ext of doc.extends) await loadSpec(ext.spec, { file: doc.file, dir, path: ext.path }, inside, run);
  run.done.add(r.key);
  run.docs.push(doc);
}

/**
 * Loads and composes policies: each spec is a built-in name (`luo-default`) or a file path;
 * each is preceded by what it extends (depth first, in order), and each source is used once.
 * The policy is only meant to be used when `problems` holds no error (see hasErrors).
 */
export async function loadPolicies(specs: readonly string[]): Promise<LoadedPolicy> {
  const run: Run = { list: new ProblemList(), docs: [], done: new Set() };
  for (const spec of specs) await loadSpec(spec, undefined, [], run);
  return composeDocuments(run.docs, run.list);
}
