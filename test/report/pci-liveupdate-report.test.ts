// The golden report of the builtin `pci-liveupdate` policy (the upstream series' promises and what
// it does not cover) on the real kexec capture, virtio-net 0000:03:00.0 preserved: what a LUO
// reviewer reads about kernel 1, the handover and kernel 2. Regenerate only for an intended change.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';

const root = new URL('../../', import.meta.url).pathname;
const report = (...args: string[]): { status: number | null; stdout: string } =>
  spawnSync(process.execPath, [`${root}bin/cfgscope.js`, 'report', 'replays/lab-kexec/kernel.capture.ndjson', '--policy', 'pci-liveupdate', '--preserve', '0000:03:00.0', ...args],
    { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 60_000 });

describe('report --policy pci-liveupdate on the kexec capture', () => {
  const md = report();
  const email = report('--format', 'email');

  it('matches the golden files; the e-mail fits 72 columns', async () => {
    expect([md.status, email.status]).toEqual([0, 0]);
    await expect(md.stdout).toMatchFileSnapshot('../golden/report-pci-liveupdate-kexec.md');
    await expect(email.stdout).toMatchFileSnapshot('../golden/report-pci-liveupdate-kexec.email.txt');
    expect(email.stdout.split('\n').filter((l) => l.length > 72)).toEqual([]);
  });

  it('opens with the boots and puts the old kernel\'s shutdown under the handover\'s heading', () => {
    expect(md.stdout.indexOf('\n## Boots\n')).toBeLessThan(md.stdout.indexOf('\n## Writes by call site\n'));
    const handover = md.stdout.slice(md.stdout.indexOf('### Handover, device side only: before kernel 2 (after kexec)')).split('\n### ')[0]!;
    expect(handover).toMatch(/\| \*\*VIOLATION\*\* \| 0000:03:00\.0 \(preserved\) \| `COMMAND` \| MASTER 1->0 \| 0x0507 -> 0x0503 \| 1 \| handover, device side only \| /);
  });
});
