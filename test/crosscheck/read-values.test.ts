// Read values, kernel side against device side, on the 6.12 lab runs (boot-args return probes on
// the read accessors): every kernel-side read carries the value read, and every one that pairs
// with a QEMU read agrees with it. An edited copy of a QEMU log (one returned value changed) is the
// disagreement crosscheck must name, with exit 1.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crosscheck } from '../../src/crosscheck/crosscheck-accesses.js';
import { runCli } from '../cli/run-cli.js';
import { readRecords } from '../support/read-records.js';

const root = new URL('../../', import.meta.url).pathname;
const side = (run: string) => [`${root}replays/lab-${run}/kernel.capture.ndjson`, `${root}test/fixtures/lab-${run}/qemu-trace.log`] as const;

describe.each([
  ['6.12-basic', 806, 771],
  ['6.12-kexec', 996, 990],
])('read values of lab-%s', async (run, reads, paired) => {
  const [k, d] = side(run);
  const x = crosscheck(await readRecords(k), await readRecords(d));

  it('every kernel-side read carries one; every paired one agrees with QEMU', () => {
    expect(x.readValues).toEqual({ kernelReads: reads, withValue: reads, paired, agree: paired, otherWidth: 0, differ: [] });
    expect(x.reads.matched).toBe(paired);
  });

  it('boot-time reads (traced before the first phase marker) carry values too', async () => {
    let boot = true;
    const bootReads: (number | null)[] = [];
    for (const r of await readRecords(k)) {
      if (r.t === 'phase' && r.label.startsWith('PHASE[')) boot = false;
      if (boot && r.t === 'access' && r.op === 'r' && r.layer !== 'device') bootReads.push(r.val);
    }
    expect(bootReads.length).toBe(301);
    expect(bootReads.filter((v) => v === null)).toEqual([]);
  });
});

describe('cfgscope crosscheck, a read value that differs', () => {
  it('names it with both locations and exits 1', async () => {
    const [k, d] = side('6.12-basic');
    // The e1000e's vendor/device id as the first kernel-side traced read of it returned it.
    const log = readFileSync(d, 'utf8').split('\n');
    const lines = log.map((l, i) => [l, i] as const).filter(([l]) => /^pci_cfg_read e1000e 01:00.0 @0x0 -> 0x10d38086$/.test(l.replace(/^\d+@[\d.]+:/, '')));
    expect(lines.length).toBeGreaterThan(1);
    const [text, at] = lines.at(-1)!;
    log[at] = text.replace('0x10d38086', '0x10d48086');
    const edited = join(mkdtempSync(join(tmpdir(), 'cfgscope-rv-')), 'qemu-trace.log');
    writeFileSync(edited, log.join('\n'));
    const r = await runCli('crosscheck', k, edited);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('770 agree, 1 differ');
    expect(r.stdout).toMatch(new RegExp(`0000:01:00.0 @0x00 read 0x10d38086 \\(pci_bus_read_config_dword\\) at \\S+serial.log:\\d+, device 0x10d48086 at ${edited.replaceAll('.', '\\.')}:${at + 1}`));
    const json = await runCli('crosscheck', k, edited, '--json');
    const rows = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { t: string });
    expect(rows.filter((o) => o.t === 'read-value-differs')).toEqual([expect.objectContaining({ bdf: '0000:01:00.0', off: 0, kernel: 0x10d38086, device: 0x10d48086 })]);
    expect(rows.at(-1)).toMatchObject({ t: 'crosscheck-totals', readValues: { paired: 771, agree: 770, differ: 1 } });
  });
});
