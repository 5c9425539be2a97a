// The tests that check cfgscope against lspci and setpci on this machine's PCI devices, run as on a
// machine without any (CFGSCOPE_TEST_SYSFS: an empty devices folder): each is reported skipped
// with the reason, none passes on zero devices. Runs vitest itself on those files.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
const LIVE_TESTS = ['test/identity/sysfs.test.ts', 'test/registers/setpci-live.test.ts'];

describe('live-device tests on a machine without PCI devices', () => {
  it('are skipped, each with the reason', () => {
    const empty = mkdtempSync(join(tmpdir(), 'cfgscope-nopci-'));
    const r = spawnSync(process.execPath, [`${root}node_modules/vitest/vitest.mjs`, 'run', ...LIVE_TESTS, '--reporter=verbose'],
      { cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, CFGSCOPE_TEST_SYSFS: empty, NO_COLOR: '1', FORCE_COLOR: '0' } });
    // eslint-disable-next-line no-control-regex
    const out = r.stdout.replace(/\x1b\[[0-9;]*m/g, '');
    expect(r.status, out + r.stderr).toBe(0);
    const live = out.split('\n').filter((l) => / > (readSysfsDevices on this machine|capability names against setpci on live devices) > /.test(l));
    expect(live.length).toBe(3);
    for (const l of live) expect(l).toMatch(new RegExp(`^\\s*↓ .*\\[no PCI devices in ${empty} on this machine\\]`));
    expect(out).toMatch(/Tests\s+\d+ passed \| 3 skipped/);
  }, 150_000);
});
