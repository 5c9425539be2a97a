// `cfgscope --version` (and -V) on the built CLI prints package.json's version and exits 0.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const root = new URL('../../', import.meta.url).pathname;
const bin = `${root}bin/cfgscope.js`;
const version = (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string }).version;

describe('cfgscope --version', () => {
  it.each(['--version', '-V'])('%s prints the package.json version, exit 0', (flag) => {
    const r = spawnSync(process.execPath, [bin, flag], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${version}\n`);
    expect(r.status).toBe(0);
  });

  it('is listed in --help', () => {
    const r = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stdout).toMatch(/-V, --version\s+print cfgscope's version/);
    expect(r.status).toBe(0);
  });
});
