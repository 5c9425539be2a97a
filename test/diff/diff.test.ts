// `cfgscope diff` on real captures: the bundled QEMU boot against itself (no differences) and,
// labelled EDITED, against the same run with the nvme driver's probe cut out
// (test/fixtures/diff/README.md): exactly that driver's accesses, to 0000:02:00.0 in PHASE[2], must
// show as vanished, nothing else. Kept next to the real pair (e1000e-probe.test.ts: two lab boots,
// one probing e1000e) because it covers the other direction, a driver's accesses that vanish.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { CaptureSummary, WriteGroup } from '../../src/diff/access-summary.js';
import { diffSummaries, type SiteDiff, type WriteDiff } from '../../src/diff/diff-summaries.js';
import { readRecords } from '../support/read-records.js';
import { run } from '../report/run-commands.js';
import { cutNvmeInsmod, importWithoutNvmeInsmod } from './no-nvme-insmod.js';

const BASE = 'replays/qemu-6.1-q35-basic/kernel.capture.ndjson';
const NVME = '0000:02:00.0 [1b36:0010]';
const PHASE2 = 'PHASE[2] insmod nvme';

describe('diff of a capture against itself', () => {
  it('finds no difference and exits 0', async () => {
    const r = await run('diff', BASE, BASE);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('\nno differences\n');
    expect(r.stdout).toContain('0 call sites vanished, 0 appeared; 0 register writes vanished, 0 appeared, 0 changed values (1139 -> 1139 accesses)');
  });

  it('--json: only the totals line', async () => {
    const r = await run('diff', BASE, BASE, '--json');
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string });
    expect(lines.map((l) => l.kind)).toEqual(['diff-totals']);
  });
});

describe('diff against the run without the nvme probe (EDITED fixture)', async () => {
  const edited = await importWithoutNvmeInsmod();
  const text = await run('diff', BASE, edited);
  const json = await run('diff', BASE, edited, '--json');
  const items = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as SiteDiff | WriteDiff | { kind: 'diff-totals' });
  const writes = items.filter((x): x is WriteDiff => x.kind === 'write');
  const sites = items.filter((x): x is SiteDiff => x.kind === 'call-site');

  it('the cut is the nvme driver\'s probe: kworker events on bus 2 devfn 0 only', () => {
    const { cut } = cutNvmeInsmod(readFileSync('test/fixtures/qemu-6.1-q35-basic/serial.log', 'utf8'));
    const events = cut.filter((l) => !l.startsWith(' => ') && !l.includes('<stack trace>'));
    expect(events).toHaveLength(66);
    expect(events.every((l) => l.trimStart().startsWith('kworker/u4:1-25'))).toBe(true);
    expect(events.filter((l) => l.includes(' bus=')).every((l) => l.includes(' bus=2 devfn=0x0 '))).toBe(true);
  });

  it('shows exactly the nvme writes of PHASE[2] as vanished, and exits 1', async () => {
    expect(text.code).toBe(1);
    expect(writes.every((w) => w.change === 'vanished' && `${w.device.bdf} [${w.device.ids}]` === NVME && w.phase === PHASE2)).toBe(true);
    // Every write the base capture has on the nvme between the PHASE[2] and PHASE[3] markers.
    const records = await readRecords(BASE);
    let phase = '';
    const inPhase2 = records.filter((r) => {
      if (r.t === 'phase') phase = r.label;
      return r.t === 'access' && r.op === 'w' && r.bus === 2 && r.devfn === 0 && phase === PHASE2;
    });
    expect(inPhase2).toHaveLength(8);
    expect(writes.reduce((n, w) => n + w.base.reduce((m, [, c]) => m + c, 0), 0)).toBe(inPhase2.length);
    expect(text.stdout).toContain([
      `${NVME}`,
      `  ${PHASE2}`,
    ].join('\n'));
    expect(text.stdout).toContain('    - CAP_MSIX+0x2 at __pci_enable_msix_range: 0x0040 -> 0xc040 x2, 0xc040 -> 0x8040 x2\n');
    expect(text.stdout).toContain('    - CAP_MSIX+0x2 at pci_disable_msix.part.0: 0x8040 -> 0x0040\n');
    expect(text.stdout).toContain('    - COMMAND at pci_intx: 0x0107 -> 0x0507 x2, 0x0507 -> 0x0107\n');
  });

  it('and the probe\'s call sites (reads included) as vanished; nothing appeared or changed elsewhere', () => {
    expect(sites.length).toBeGreaterThan(0);
    expect(sites.every((s) => s.change === 'vanished' && `${s.device.bdf} [${s.device.ids}]` === NVME && s.phase === PHASE2)).toBe(true);
    expect(sites.map((s) => s.callSite)).toContain('pci_intx');
    expect(items.at(-1)).toMatchObject({ kind: 'diff-totals', baseAccesses: 1139, newAccesses: 1081, writesVanished: 3, writesAppeared: 0, writesChanged: 0, sitesAppeared: 0 });
  });

  it('reversed, the same accesses appear', async () => {
    const r = await run('diff', edited, BASE, '--json');
    const totals = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, number>;
    expect(totals).toMatchObject({ writesAppeared: 3, writesVanished: 0, sitesAppeared: sites.length, sitesVanished: 0 });
  });
});

describe('diffSummaries', () => {
  const dev = { bdf: '0000:02:00.0', ids: '1b36:0010' };
  const summary = (name: string, groups: Omit<WriteGroup, 'values'>[], values: [string, number][][]): CaptureSummary => {
    const writes = new Map<string, WriteGroup>();
    groups.forEach((g, i) => writes.set(`${g.device.bdf} [${g.device.ids}]|${g.phase}|${g.callSite}|${g.register}`, { ...g, values: values[i]! }));
    const sites = new Map(groups.map((g) => [`${g.device.bdf} [${g.device.ids}]|${g.phase}|${g.callSite}`, { device: g.device, phase: g.phase, callSite: g.callSite, reads: 0, writes: 1 }]));
    return { name, sites, writes, accesses: 1, skipped: 0 };
  };
  const g = { device: dev, phase: 'boot', callSite: 'pci_intx', register: 'COMMAND' };

  it('reports a value change, with both sides', () => {
    const d = diffSummaries(summary('a', [g], [[['0x0107 -> 0x0507', 1]]]), summary('b', [g], [[['0x0107 -> 0x0503', 1]]]));
    expect(d.writes).toEqual([{ kind: 'write', change: 'changed', ...g, base: [['0x0107 -> 0x0507', 1]], new: [['0x0107 -> 0x0503', 1]] }]);
    expect(d.sites).toEqual([]);
  });

  it('a count change is a change', () => {
    const d = diffSummaries(summary('a', [g], [[['0x0107 -> 0x0507', 1]]]), summary('b', [g], [[['0x0107 -> 0x0507', 2]]]));
    expect(d.writes.map((w) => w.change)).toEqual(['changed']);
  });

  it('another card at the same BDF is another device: vanished and appeared', () => {
    const other = { ...g, device: { bdf: '0000:02:00.0', ids: '8086:10d3' } };
    const d = diffSummaries(summary('a', [g], [[['x', 1]]]), summary('b', [other], [[['x', 1]]]));
    expect(d.writes.map((w) => `${w.change} ${w.device.ids}`)).toEqual(['vanished 1b36:0010', 'appeared 8086:10d3']);
  });
});
