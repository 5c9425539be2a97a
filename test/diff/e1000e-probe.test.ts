// `cfgscope diff` of two real lab boots of the same machine that differ by one driver's probe
// (replays/lab-e1000e-off and -on, test/fixtures/lab-e1000e-on/README.md): the difference must be
// exactly what probing e1000e did. The oracle is the new capture's own stacks, not a list: the
// driver's probe function is the frame local_pci_probe called for the e1000e device (0000:01:00.0),
// and an access belongs to the probe when its stack passes through that function.
import { describe, expect, it } from 'vitest';
import type { AccessRecord, CaptureRecord } from '../../src/model/records.js';
import { frameFunction } from '../../src/parsers/accessors.js';
import { callSite } from '../../src/pipeline/call-site.js';
import type { SiteDiff, WriteDiff } from '../../src/diff/diff-summaries.js';
import { readRecords } from '../support/read-records.js';
import { run } from '../report/run-commands.js';

const OFF = 'replays/lab-e1000e-off/kernel.capture.ndjson';
const ON = 'replays/lab-e1000e-on/kernel.capture.ndjson';
const E1000E_BDF = '0000:01:00.0';

interface Located { access: AccessRecord; frames: string[]; phase: string; bdf: string | null }

/** Every access of a capture with its stack frames, phase label and BDF. */
function located(records: CaptureRecord[]): Located[] {
  const stacks = new Map<number, string[]>();
  const out: Located[] = [];
  let phase = '(before the first marker)';
  for (const r of records) {
    if (r.t === 'stack') stacks.set(r.id, r.frames);
    if (r.t === 'phase') phase = r.label;
    if (r.t !== 'access') continue;
    const bdf = r.bus === null || r.devfn === null ? null
      : `${(r.seg ?? 0).toString(16).padStart(4, '0')}:${r.bus.toString(16).padStart(2, '0')}:${(r.devfn >> 3).toString(16).padStart(2, '0')}.${r.devfn & 7}`;
    out.push({ access: r, frames: r.stack === null ? [] : stacks.get(r.stack) ?? [], phase, bdf });
  }
  return out;
}

describe('diff of two real boots, with and without the e1000e probe', async () => {
  const text = await run('diff', OFF, ON);
  const json = await run('diff', OFF, ON, '--json');
  const items = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as SiteDiff | WriteDiff | { kind: 'diff-totals'; [k: string]: unknown });
  const sites = items.filter((x): x is SiteDiff => x.kind === 'call-site');
  const writes = items.filter((x): x is WriteDiff => x.kind === 'write');
  const on = located(await readRecords(ON));
  const off = located(await readRecords(OFF));

  // The driver's probe function, read from the stacks of accesses to the e1000e device.
  const probeFns = new Set(on.filter((a) => a.bdf === E1000E_BDF).flatMap((a) => {
    const i = a.frames.findIndex((f) => frameFunction(f) === 'local_pci_probe');
    return i > 0 ? [frameFunction(a.frames[i - 1]!)] : [];
  }));
  const inProbe = (a: Located): boolean => a.frames.some((f) => probeFns.has(frameFunction(f)));
  const probeAccesses = on.filter(inProbe);

  it('the capture names one probe function for 0000:01:00.0, and it is in the e1000e module', () => {
    expect([...probeFns]).toHaveLength(1);
    const frame = on.flatMap((a) => a.frames).find((f) => probeFns.has(frameFunction(f)))!;
    expect(frame).toMatch(/ \[e1000e\]$/);
    // ...and the base run never passes through it.
    expect(off.filter(inProbe)).toEqual([]);
    expect(probeAccesses.length).toBeGreaterThan(0);
  });

  it('exits 1; nothing vanished or changed values', () => {
    expect(text.code).toBe(1);
    expect(items.at(-1)).toMatchObject({ kind: 'diff-totals', sitesVanished: 0, writesVanished: 0, writesChanged: 0 });
    expect(sites.every((s) => s.change === 'appeared')).toBe(true);
    expect(writes.every((w) => w.change === 'appeared')).toBe(true);
  });

  it('every appeared call site and write is made only by the probe, in the probe phase', () => {
    expect(sites.length).toBeGreaterThan(0);
    for (const d of [...sites, ...writes]) {
      const matching = on.filter((a) => a.bdf === d.device.bdf && a.phase === d.phase && frameFunction(callSite(a.frames) ?? '(no stack)') === d.callSite);
      expect(matching.length, `${d.device.bdf} ${d.callSite}`).toBeGreaterThan(0);
      expect(matching.every(inProbe), `${d.device.bdf} ${d.callSite} outside the probe`).toBe(true);
    }
  });

  it('every access of the probe is in the diff, with its counts', () => {
    const key = (bdf: string | null, phase: string, site: string): string => `${bdf}|${phase}|${site}`;
    const counted = new Map<string, { reads: number; writes: number }>();
    for (const a of probeAccesses) {
      const k = key(a.bdf, a.phase, frameFunction(callSite(a.frames) ?? '(no stack)'));
      const c = counted.get(k) ?? { reads: 0, writes: 0 };
      if (a.access.op === 'r') c.reads++;
      else c.writes++;
      counted.set(k, c);
    }
    const reported = new Map(sites.map((s) => [key(s.device.bdf, s.phase, s.callSite), { reads: s.reads, writes: s.writes }]));
    expect(reported).toEqual(counted);
    // The device's own writes and its root port's: what a reviewer of the driver must look at.
    expect(new Set(sites.map((s) => s.device.bdf))).toEqual(new Set(probeAccesses.map((a) => a.bdf)));
    const probeWrites = probeAccesses.filter((a) => a.access.op === 'w').length;
    expect(writes.reduce((n, w) => n + w.new.reduce((m, [, c]) => m + c, 0), 0)).toBe(probeWrites);
  });

  it('outside the probe, both runs made the same accesses (per device, phase, call site, op)', () => {
    const tally = (xs: Located[]): Map<string, number> => {
      const m = new Map<string, number>();
      for (const a of xs) {
        const k = `${a.bdf}|${a.phase}|${frameFunction(callSite(a.frames) ?? '(no stack)')}|${a.access.op}`;
        m.set(k, (m.get(k) ?? 0) + 1);
      }
      return m;
    };
    expect(tally(on.filter((a) => !inProbe(a)))).toEqual(tally(off));
  });

  it('reads as a reviewer expects: the e1000e device\'s COMMAND writes by the probe', () => {
    expect(text.stdout).toContain('0000:01:00.0 [8086:10d3]\n  PHASE[1] driver e1000e (stage 1)\n');
    expect(text.stdout).toContain('    + COMMAND at __pci_set_master: 0x0103 -> 0x0107\n');
  });
});
