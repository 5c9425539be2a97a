// Hostile policies, derived from the built-in policies (src/policy/builtin) and the example of
// docs/policy.md: values of the wrong type or out of range at any path, keys named like
// Object.prototype members, `extends` pointing at devices, cycles and folders, thousands of
// wildcard rules, deep nesting, control characters in reasons, and files cut or prefixed.
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtinPolicy, BUILTIN_NAMES } from '../../src/policy/builtin/index.js';
import { ROOT } from './cli-process.js';
import { HOSTILE_FRAGMENTS, PROTO_NAMES } from './record-arbitraries.js';

/** A string value standing for an array nested this deep, expanded in the final text. */
const NEST = '@@cfgscope-fuzz-nest@@';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** The JSON example of docs/policy.md, "The file". */
export function docsExample(): Json {
  const md = readFileSync(join(ROOT, 'docs/policy.md'), 'utf8');
  const m = /```json\n([\s\S]*?)\n```/.exec(md);
  if (!m) throw new Error('docs/policy.md has no JSON example');
  return JSON.parse(m[1]!) as Json;
}

/** The docs example first, then every built-in (however many there are), with their names. */
export const POLICY_BASE_NAMES: readonly string[] = ['docs example', ...BUILTIN_NAMES];

export function policyBases(): Json[] {
  return [docsExample(), ...BUILTIN_NAMES.map((n) => JSON.parse(JSON.stringify(builtinPolicy(n))) as Json)];
}

/** Every path to a value inside a JSON value, as key lists. */
function paths(v: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...prefix, i])));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...prefix, k]));
  return out;
}

export function hostileJson(maxDepth: number): fc.Arbitrary<Json> {
  return fc.oneof(
    fc.constantFrom<Json>(-1, 1.5, 2 ** 32, 2 ** 53 + 2, -0, 1e308, '0xffffffffff', '0x', '10', '0x-1', '', null, true, [], {}, ['*'], [[]], '*', 'preserved+depended+any'),
    fc.constantFrom<Json>(...PROTO_NAMES, 'CAP_EXP+0xfffff', 'CAP_PM+0x4@99999', 'ECAP0xffff+0x8', 'BASE_ADDRESS_0+0x4000', 'CAP_VNDR+0x4.q', 'COMMAND.l.w', 'x.isra.0'),
    fc.array(fc.constantFrom(...HOSTILE_FRAGMENTS), { minLength: 1, maxLength: 3 }).map((f) => `why${f.join('')}`),
    // Deep nesting stays a marker until the text is made: this process's own JSON.stringify would overflow.
    fc.integer({ min: 100, max: maxDepth }).map((d) => `${NEST}${d}`),
    fc.integer({ min: 1000, max: 200_000 }).map((n) => 'w'.repeat(n)),
  );
}

export type PolicyMutation =
  | { kind: 'set'; at: number; value: Json }
  | { kind: 'add-key'; at: number; key: string; value: Json }
  | { kind: 'extends'; targets: string[] }
  | { kind: 'many-rules'; n: number; wildcard: boolean }
  | { kind: 'raw'; how: 'cut' | 'bom' | 'trailing' | 'nul'; frac: number };

/** What `extends` may name: files that are not policies, cycles, folders, built-ins, proto names. */
export const EXTENDS_TARGETS = ['/dev/zero', '/dev/urandom', 'self.json', './self.json', 'sub/../self.json', 'missing.json', '.', '..', 'sub', 'big.json', 'luo-default', 'luo-strict', ...PROTO_NAMES] as const;

export function policyMutation(maxDepth: number, maxRules: number): fc.Arbitrary<PolicyMutation> {
  const frac = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
  return fc.oneof(
    { weight: 5, arbitrary: fc.tuple(frac, hostileJson(maxDepth)).map(([at, value]) => ({ kind: 'set' as const, at, value })) },
    { weight: 2, arbitrary: fc.tuple(frac, fc.constantFrom(...PROTO_NAMES, 'unknownKey', 'Rules', 'why\u001b'), hostileJson(maxDepth)).map(([at, key, value]) => ({ kind: 'add-key' as const, at, key, value })) },
    { weight: 2, arbitrary: fc.array(fc.constantFrom(...EXTENDS_TARGETS), { minLength: 1, maxLength: 3 }).map((targets) => ({ kind: 'extends' as const, targets })) },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 50, max: maxRules }), fc.boolean()).map(([n, wildcard]) => ({ kind: 'many-rules' as const, n, wildcard })) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('cut' as const, 'bom' as const, 'trailing' as const, 'nul' as const), frac).map(([how, f]) => ({ kind: 'raw' as const, how, frac: f })) },
  );
}

/** The policy file's text after the mutations (an `at` fraction picks among the value's paths). */
export function applyPolicyMutations(base: Json, muts: readonly PolicyMutation[]): string {
  let doc = JSON.parse(JSON.stringify(base)) as Json;
  const raws: Extract<PolicyMutation, { kind: 'raw' }>[] = [];
  for (const m of muts) {
    if (m.kind === 'raw') { raws.push(m); continue; }
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) doc = { 'cfgscope-policy': 1 };
    const obj = doc as { [k: string]: Json };
    if (m.kind === 'extends') obj['extends'] = m.targets;
    else if (m.kind === 'many-rules') {
      obj['rules'] = Array.from({ length: m.n }, (_, i): Json => (m.wildcard
        ? { id: `w${i}`, kind: 'deny', register: '*', appliesTo: 'any', why: 'wildcard' }
        : { id: `r${i}`, kind: 'preserve', register: 'COMMAND', field: 'MASTER', why: 'many' }));
    } else {
      const all = paths(doc);
      const path = all[Math.floor(m.at * all.length)]!;
      if (path.length === 0) { doc = m.kind === 'set' ? m.value : doc; continue; }
      let parent: Json = doc;
      for (const k of path.slice(0, -1)) parent = (parent as Record<string, Json>)[k as string]!;
      const last = path[path.length - 1]!;
      if (m.kind === 'set') (parent as Record<string, Json>)[last as string] = m.value;
      else {
        const target = (parent as Record<string, Json>)[last as string];
        if (target !== null && typeof target === 'object' && !Array.isArray(target)) Object.defineProperty(target, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
      }
    }
  }
  let text = JSON.stringify(doc, null, 1).replace(new RegExp(`"${NEST}(\\d+)"`, 'g'), (_m, d: string) => `${'['.repeat(Number(d))}1${']'.repeat(Number(d))}`);
  for (const r of raws) {
    const at = Math.floor(r.frac * text.length);
    if (r.how === 'cut') text = text.slice(0, at);
    if (r.how === 'bom') text = `\ufeff${text}`;
    if (r.how === 'trailing') text = `${text}\n{"cfgscope-policy":1}`;
    if (r.how === 'nul') text = `${text.slice(0, at)}\u0000${text.slice(at)}`;
  }
  return text;
}
