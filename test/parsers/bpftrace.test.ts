import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccessRecord, CaptureRecord, SkippedRecord } from '../../src/model/records.js';
import { reconcileCounts, type Reconciliation } from '../../src/crosscheck/reconcile-counts.js';
import { bpftraceFormat } from '../../src/parsers/bpftrace.js';
import { fixture, readRecords } from '../support/read-records.js';

function tmpFile(text: string): string {
  const p = join(mkdtempSync(join(tmpdir(), 'cfgscope-')), 'probe.out');
  writeFileSync(p, text);
  return p;
}

/** Events per `layer, op` as printed, lost events, and the in-kernel map, reconciled. */
function reconcile(recs: CaptureRecord[]): Reconciliation {
  const printed = new Map<string, number>();
  for (const r of recs) if (r.t === 'access') printed.set(`${r.layer}, ${r.op}`, (printed.get(`${r.layer}, ${r.op}`) ?? 0) + 1);
  const lost = recs.reduce((n, r) => n + (r.t === 'lost' ? r.count : 0), 0);
  const counts = new Map<string, number>();
  for (const r of recs) if (r.t === 'source-count' && r.key.startsWith('@count[')) counts.set(r.key.slice(7, -1), r.count);
  return reconcileCounts(printed, counts, lost);
}

// test/fixtures/bpftrace/README.md: the text run lost the last marker read, still buffered when
// bpftrace got SIGINT (no `Lost` line for it); the others balance.
const EXPECTED: Record<string, Partial<Reconciliation>> = {
  'probe-phases.txt': { status: 'short', printed: 503, lost: 0, counted: 504, differences: [{ key: 'user, r', printed: 6, counted: 7 }] },
  'probe-phases.json': { status: 'balanced', printed: 505, lost: 0, counted: 505 },
  'probe-lost.txt': { status: 'balanced', printed: 64, lost: 4034, counted: 4098 },
  'probe-lost.json': { status: 'balanced' },
};

for (const name of Object.keys(EXPECTED)) {
  describe(`bpftrace probe output from a real guest run: ${name}`, async () => {
    const recs = await readRecords(fixture(`bpftrace/${name}`));
    const acc = recs.filter((r): r is AccessRecord => r.t === 'access');

    it('has a header with the guest kernel release and nothing skipped', () => {
      expect(recs[0]).toMatchObject({ t: 'header', source: { kind: 'bpftrace' }, kernel: { release: '6.1.0-56-amd64' }, clock: 'mono' });
      expect(recs.filter((r) => r.t === 'skipped')).toEqual([]);
    });

    it('reads values of reads (kretprobe pairing) and stacks', () => {
      expect(acc.filter((a) => a.op === 'r' && a.val === null)).toEqual([]);
      expect(acc.filter((a) => a.stack !== null).length).toBeGreaterThan(acc.length - 2);
      if (!name.startsWith('probe-phases')) return;
      // The first phase marker: a one-byte sysfs read of the SMBus function 00:1f.3 at 0xf0.
      const anchor = acc[0]!;
      expect(anchor).toMatchObject({ op: 'r', layer: 'user', bus: 0, devfn: 0xfb, off: 0xf0, size: 1, val: 0, ret: 0, comm: 'dd', fn: 'pci_user_read_config_byte' });
      const stack = recs.find((r) => r.t === 'stack' && r.id === anchor.stack);
      expect(stack).toMatchObject({ frames: expect.arrayContaining(['kernfs_fop_read_iter+185']) });
    });

    it('reconciles the printed and lost events with the in-kernel @count map', () => {
      expect(reconcile(recs)).toMatchObject(EXPECTED[name]!);
    });

    it('marks where bpftrace attached and ended', () => {
      expect(recs.filter((r) => r.t === 'phase').map((p) => p.t === 'phase' && p.label)).toEqual(['bpftrace attached', 'bpftrace end']);
    });
  });
}

describe('bpftrace parser on malformed input', () => {
  const BANNER = 'cfgscope-bpftrace v1 start ns=18555356559 release=6.1.0-56-amd64\n';
  it('reports a truncated event, garbage and an unknown JSON type with codes and lines', async () => {
    const file = tmpFile(`${BANNER}ev op=w layer=bus depth=0 ns=19645780879 cpu=1 pid=316 seg=0 bus=1 devfn=0x0 off=0x4\n`
      + 'garbage here\n{"type": "printf", "data": 3}\n{"type": "syscount", "data": {}}\nLost 7 events\n');
    const recs = await readRecords(file);
    expect(recs.filter((r): r is SkippedRecord => r.t === 'skipped').map((s) => [s.code, s.line])).toEqual([
      ['BPFTRACE_BAD_EVENT', 2], ['BPFTRACE_UNKNOWN_LINE', 3], ['BPFTRACE_BAD_JSON', 4], ['BPFTRACE_UNKNOWN_JSON_TYPE', 5],
    ]);
    expect(recs.filter((r) => r.t === 'lost')).toEqual([expect.objectContaining({ count: 7, line: 6, reason: 'bpftrace' })]);
  });

  it('counts a nested hit (depth > 0) as nested, not as an access', async () => {
    const file = tmpFile(`${BANNER}ev op=r layer=raw depth=1 ns=1 cpu=0 pid=1 seg=0 bus=0 devfn=0x0 off=0x0 size=4 val=0x29c08086 ret=0 comm=swapper/0\n\traw_pci_read+0\n\n`);
    const recs = await readRecords(file);
    expect(recs.filter((r) => r.t === 'access')).toEqual([]);
    expect(recs.filter((r) => r.t === 'nested')).toEqual([{ t: 'nested', layer: 'raw', of: null, line: 2 }]);
  });

  it('keeps a task name with spaces', async () => {
    const file = tmpFile(`${BANNER}ev op=w layer=user depth=0 ns=1 cpu=0 pid=9 seg=0 bus=2 devfn=0x0 off=0xd size=1 val=0x20 ret=- comm=my tool\n`);
    expect((await readRecords(file)).find((r) => r.t === 'access')).toMatchObject({ comm: 'my tool', val: 0x20, ret: null });
  });

  it('does not claim other formats', () => {
    expect(bpftraceFormat.detect(['pci_cfg_read mch 00:00.0 @0x0 -> 0x8086', '# tracer: function'])).toBe(false);
  });
});
