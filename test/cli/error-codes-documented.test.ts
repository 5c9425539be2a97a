// Every error code the sources raise is documented in docs/errors.md (or the policy codes in
// docs/policy.md): a user who reads a code can look it up. Fails when a code is added without docs.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('error codes', () => {
  it('every code raised in src/ is in docs/', () => {
    const docs = readdirSync(`${root}docs`).filter((f) => f.endsWith('.md')).map((f) => readFileSync(`${root}docs/${f}`, 'utf8')).join('\n');
    const raised = new Set<string>();
    for (const f of sources(`${root}src`)) {
      for (const m of readFileSync(f, 'utf8').matchAll(/(?:CfgscopeError|UsageError)\(\s*'([A-Z][A-Z0-9_]+)'/g)) raised.add(m[1]!);
    }
    expect(raised.size).toBeGreaterThan(30);
    expect([...raised].filter((c) => !docs.includes(`\`${c}\``))).toEqual([]);
  });
});
