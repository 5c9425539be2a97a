// The built-in `pci-liveupdate` policy: the upstream series' promises (errors) and what it does not
// cover yet (info), judged on the lab's real kexec capture (replays/lab-kexec: Debian's 6.1, which
// lacks the series, so its shutdown breaks the bus-master promise).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import type { Finding } from '../../src/policy/findings.js';
import { runCli } from '../cli/run-cli.js';

const root = new URL('../../', import.meta.url).pathname;

describe('pci-liveupdate', () => {
  it('passes policy lint with no problem, and names the patch and gating function in every promise', async () => {
    const r = await runCli('policy', 'lint', 'pci-liveupdate');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const promises = r.stdout.split('\n  lu-').slice(1).filter((rule) => !rule.startsWith('uncovered'));
    expect(promises.length).toBe(5);
    for (const p of promises) expect(p).toMatch(/Promised by "PCI: liveupdate: [^"]+" of the .* series, gated by pci_liveupdate_\w+\(\)/);
    expect(r.stdout.match(/^ {2}lu-uncovered-\S+: preserve, info$/gm)?.length).toBe(18);
  });

  it('on the 6.1 kexec capture: the old kernel\'s shutdown clearing Bus Master (device side only) breaks the promise; uncovered areas stay info', () => {
    const r = spawnSync(process.execPath, [`${root}bin/cfgscope.js`, 'check', `${root}replays/lab-kexec/kernel.capture.ndjson`,
      '--json', '--policy', 'pci-liveupdate', '--preserve', '0000:03:00.0'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(r.status).toBe(1);
    const all = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Finding & { type: string }).filter((f) => f.type === 'finding');
    const shutdown = all.filter((f) => f.rule.id === 'lu-bus-master' && f.deviceOnly && f.fields.includes('MASTER 1->0'));
    expect(shutdown.map((f) => `${f.device.bdf} ${f.rule.severity} ${f.phase}`).sort()).toEqual([
      '0000:00:05.0 critical handover, device side only',
      '0000:03:00.0 critical handover, device side only',
    ]);
    // BAR sizing and MSI-X set-up on the preserved device are findings of info rules only.
    const bars = all.filter((f) => f.device.bdf === '0000:03:00.0' && /^(BASE_ADDRESS_|ROM_ADDRESS|CAP_MSIX)/.test(f.register));
    expect(bars.length).toBeGreaterThan(10);
    expect(new Set(bars.map((f) => f.rule.severity))).toEqual(new Set(['info']));
  });
});
