import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccessRecord, CaptureRecord, SkippedRecord } from '../../src/model/records.js';
import { bpftraceFormat } from '../../src/parsers/bpftrace.js';
import { fixture, readRecords } from '../support/read-records.js';

function tmpFile(text: string): string {
  const p = join(mkdtempSync(join(tmpdir(), 'cfgscope-')), 'probe.out');
  writeFileSync(p, text);
  return p;
}

/** Events per `layer, op` as printed (accesses and nested hits) plus lost events, vs the in-kernel map. */
function reconcile(recs: CaptureRecord[]): { printed: Record<string, number>; lost: number; map: Record<string, number> } {
  const printed: Record<string, number> = {};
  for (const r of recs) if (r.t === 'access') printed[`${r.layer}, ${r.op}`] = (printed[`${r.layer}, ${r.op}`] ?? 0) + 1;
  const lost = recs.reduce((n, r) => n + (r.t === 'lost' ? r.count : 0), 0);
  const map: Record<string, number> = {};
  for (const r of recs) if (r.t === 'source-count' && r.key.startsWith('@count[')) map[r.key.slice(7, -1)] = r.count;
  return { printed, lost, map };
}

for (const name of ['probe-phases.txt', 'probe-phases.json']) {
  describe(`bpftrace probe output from a real guest run: ${name}`, async () => {
    const recs = await readRecords(fixture(`bpftrace/${name}`));
    const acc = recs.filter((r): r is AccessRecord => r.t === 'access');

    it('has a header with the guest kernel release and nothing skipped', () => {
      expect(recs[0]).toMatchObject({ t: 'header', source: { kind: 'bpftrace' }, kernel: { release: '6.1.0-56-amd64' }, clock: 'mono' });
      expect(recs.filter((r) => r.t === 'skipped')).toEqual([]);
    });

    it('reads values of reads (kretprobe pairing) and stacks', () => {
      const anchor = acc[0]!;
      expect(anchor).toMatchObject({ op: 'r', layer: 'user', bus: 0, devfn: 0xfb, off: 0xf0, size: 1, val: 0, ret: 0, comm: 'dd', fn: 'pci_user_read_config_byte' });
      const stack = recs.find((r) => r.t === 'stack' && r.id === anchor.stack);
      expect(stack).toMatchObject({ frames: expect.arrayContaining(['pci_read_config+438', 'kernfs_fop_read_iter+185']) });
      expect(acc.filter((a) => a.op === 'r' && a.val === null)).toEqual([]);
    });

    it('reconciles the printed events with the in-kernel @count map', () => {
      const { printed, lost, map } = reconcile(recs);
      const printedTotal = Object.values(printed).reduce((a, b) => a + b, 0);
      const mapTotal = Object.values(map).reduce((a, b) => a + b, 0);
      expect(printedTotal + lost).toBe(mapTotal);
      if (lost === 0) expect(printed).toEqual(map);
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
