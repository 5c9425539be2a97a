// The command files import what they share (CliIo, CliResult, exit statuses) from cli-types.ts,
// not from main.ts, which imports every command file: no import circle through main.ts.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';

const dir = new URL('../../src/cli/', import.meta.url).pathname;
const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'main.ts');

describe('src/cli modules', () => {
  it('has command files to look at', () => {
    expect(files.length).toBeGreaterThan(10);
  });
  it.each(files)('%s does not import main.ts', (f) => {
    const imports = [...readFileSync(`${dir}${f}`, 'utf8').matchAll(/^\s*(?:import|export)\b[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]);
    expect(imports).not.toContain('./main.js');
  });
});
