// docs/policy.md and docs/policy.schema.json describe what the loader accepts: these tests keep
// them from drifting (keys, enums, patterns, and every problem code the loader can emit).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  CALL_SITE_RE, HEX_RE, ID_RE, ROLE_SETS, RULE_KEYS, RULE_KINDS, SELECTOR_KEYS, TOP_KEYS,
} from '../../src/policy/policy-file.js';
import { SEVERITIES } from '../../src/policy/policy-types.js';

const read = (rel: string): string => readFileSync(new URL(`../../${rel}`, import.meta.url), 'utf8');
interface Obj { properties: Record<string, { enum?: string[]; pattern?: string; oneOf?: { pattern?: string; items?: { pattern?: string } }[]; items?: { pattern?: string } }> }
const schema = JSON.parse(read('docs/policy.schema.json')) as Obj & { $defs: Record<string, Obj & { oneOf?: { pattern?: string }[] }> };
const rule = schema.$defs.rule!;

describe('docs/policy.schema.json matches the loader', () => {
  it('has the same keys at every level', () => {
    expect(Object.keys(schema.properties).sort()).toEqual([...TOP_KEYS].sort());
    expect(Object.keys(rule.properties).sort()).toEqual([...RULE_KEYS].sort());
    expect(Object.keys(schema.$defs.selector!.properties).sort()).toEqual([...SELECTOR_KEYS].sort());
  });

  it('has the same kinds, severities and device sets', () => {
    expect(rule.properties.kind!.enum).toEqual(RULE_KINDS);
    expect(rule.properties.severity!.enum).toEqual(SEVERITIES);
    expect(rule.properties.appliesTo!.enum).toEqual(ROLE_SETS);
  });

  it('has the same id, call-site and hex patterns', () => {
    expect(rule.properties.id!.pattern).toBe(ID_RE.source);
    expect(rule.properties.callSites!.items!.pattern).toBe(CALL_SITE_RE.source);
    expect(schema.$defs.number!.oneOf![1]!.pattern).toBe(HEX_RE.source);
  });
});

describe('docs/policy.md', () => {
  const doc = read('docs/policy.md');
  const documented = new Set([...doc.matchAll(/^\| `(POLICY_[A-Z_]+)` \|/gm)].map((m) => m[1]!));
  // The loader's files (the engine, next to them, has codes of its own, documented elsewhere).
  const loader = ['load-policy', 'policy-document', 'policy-rule', 'policy-register', 'policy-selector', 'policy-problems', 'policy-file'];
  const source = loader.map((f) => read(`src/policy/${f}.ts`)).join('\n');
  const emitted = new Set([...source.matchAll(/'(POLICY_[A-Z_]+)'/g)].map((m) => m[1]!));

  it('documents every problem code the loader emits, and no other', () => {
    expect(emitted.size).toBeGreaterThan(25);
    expect([...documented].sort()).toEqual([...emitted].sort());
  });

  it('names the built-ins', () => {
    for (const name of ['luo-strict', 'luo-busmaster', 'luo-default']) expect(doc).toContain(`| \`${name}\` |`);
  });
});
