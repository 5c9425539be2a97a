// The bundled probe's output on Debian's 6.12 kernel (test/fixtures/bpftrace-6.12/, the lab's
// `probe` scenario on 6.12): what 6.12 prints differently from 6.1 (test/fixtures/bpftrace/) and
// that the parser takes all of it, with every event accounted for against bpftrace's @count.
import { describe, expect, it } from 'vitest';
import type { AccessRecord, CaptureRecord, StackRecord } from '../../src/model/records.js';
import { reconcileCounts, type Reconciliation } from '../../src/crosscheck/reconcile-counts.js';
import { fixture, readRecords } from '../support/read-records.js';

function reconcile(recs: CaptureRecord[]): Reconciliation {
  const printed = new Map<string, number>();
  for (const r of recs) if (r.t === 'access') printed.set(`${r.layer}, ${r.op}`, (printed.get(`${r.layer}, ${r.op}`) ?? 0) + 1);
  const lost = recs.reduce((n, r) => n + (r.t === 'lost' ? r.count : 0), 0);
  const counts = new Map<string, number>();
  for (const r of recs) if (r.t === 'source-count' && r.key.startsWith('@count[')) counts.set(r.key.slice(7, -1), r.count);
  return reconcileCounts(printed, counts, lost);
}

// test/fixtures/bpftrace-6.12/README.md: all four runs balance (the lab now waits for bpftrace's
// output to stop growing before SIGINT, so the text run keeps its last marker).
const EXPECTED: Record<string, Partial<Reconciliation>> = {
  'probe-phases.txt': { status: 'balanced', printed: 540, lost: 0, counted: 540 },
  'probe-phases.json': { status: 'balanced', printed: 541, lost: 0, counted: 541 },
  'probe-lost.txt': { status: 'balanced', printed: 33, lost: 4065, counted: 4098 },
  'probe-lost.json': { status: 'balanced', printed: 64, lost: 4034, counted: 4098 },
};

for (const name of Object.keys(EXPECTED)) {
  describe(`bpftrace probe output on 6.12: ${name}`, async () => {
    const recs = await readRecords(fixture(`bpftrace-6.12/${name}`));
    const acc = recs.filter((r): r is AccessRecord => r.t === 'access');
    const stacks = new Map(recs.filter((r): r is StackRecord => r.t === 'stack').map((s) => [s.id, s.frames]));

    it('has a header with the 6.12 release and nothing skipped', () => {
      expect(recs[0]).toMatchObject({ t: 'header', source: { kind: 'bpftrace' }, kernel: { release: '6.12.118+deb12-amd64' }, clock: 'mono' });
      expect(recs.filter((r) => r.t === 'skipped')).toEqual([]);
    });

    it('reconciles printed + lost with the in-kernel @count map', () => {
      expect(reconcile(recs)).toMatchObject(EXPECTED[name]!);
    });

    it('every event has a stack whose innermost frame is the accessor at +5 (kprobe after the endbr64 landing pad; 6.1: +1)', () => {
      expect(acc.filter((a) => a.stack === null)).toEqual([]);
      const innermost = new Set(acc.map((a) => stacks.get(a.stack!)![0]!.replace(/^\w+\+/, '+')));
      expect([...innermost]).toEqual(['+5']);
      // The function the record names is the accessor, without the offset.
      expect(acc.every((a) => /^pci_(bus|user)_(read|write)_config_(byte|word|dword)$/.test(a.fn ?? ''))).toBe(true);
    });
  });
}

describe('6.12 call sites in the probe\'s stacks (renamed since 6.1)', async () => {
  const frames = (recs: CaptureRecord[]): Set<string> =>
    new Set(recs.flatMap((r) => (r.t === 'stack' ? r.frames.map((f) => f.replace(/\+\d+$/, '')) : [])));
  const on612 = frames(await readRecords(fixture('bpftrace-6.12/probe-phases.json')));
  const on61 = frames(await readRecords(fixture('bpftrace/probe-phases.json')));

  it('MSI-X shutdown and BAR updates go through the 6.12 names; no .cold parts', () => {
    expect(on612).toContain('pci_msix_shutdown');
    expect(on612).toContain('pci_std_update_resource');
    expect(on61).toContain('pci_disable_msix.part.0');
    expect(on61).toContain('pci_update_resource');
    expect([...on612].filter((f) => f.endsWith('.cold') || f.includes('.part.'))).toEqual([]);
    expect(on612).not.toContain('pci_update_resource');
  });
});

describe('6.12 json run: output order is not ns order', async () => {
  const acc = (await readRecords(fixture('bpftrace-6.12/probe-phases.json'))).filter((r): r is AccessRecord => r.t === 'access');

  it('keeps the events as printed: the phase-3 marker read on cpu0 came out last but for two, after 420 later events of cpu1', () => {
    const late = acc.findIndex((a, i) => i > 0 && a.ts! < acc[i - 1]!.ts!);
    expect(acc[late]).toMatchObject({ cpu: 0, layer: 'user', devfn: 0xfb, off: 0xf3 });
    expect(acc.slice(0, late).filter((a) => a.ts! > acc[late]!.ts!)).toHaveLength(420);
    expect(acc.filter((a, i) => i > 0 && a.ts! < acc[i - 1]!.ts!)).toHaveLength(1);
  });
});
