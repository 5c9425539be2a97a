// The fleet view's events (src/server/fleet-view.ts): fleet's own tally fed message by message,
// rows coalesced per batch and sent whole, the feed's state sent once per change after the rows
// counted before it, and a snapshot that holds every row in parts of bounded size.
import { describe, expect, it } from 'vitest';
import { FleetView } from '../../src/server/fleet-view.js';
import type { ServedEvent } from '../../src/server/wire-message.js';

const finding = (machine: string, register: string, callSite: string, verdict = 'violation', at = 1_700_000_000_000) => ({
  v: 1, machine, run: 'r1', kernel: '6.12.0', kind: 'finding', seq: 0, at,
  r: [{ type: 'finding', verdict, rule: 'decode', severity: 'error', identity: '8086:10d3', bdf: '0000:01:00.0', register, fields: [], old: 0, new: 1, callSite, source: null, phase: 'boot', line: 1 }],
});

function collect(view: FleetView): ServedEvent[][] {
  const got: ServedEvent[][] = [];
  view.events.subscribe((b) => got.push(b));
  return got;
}

describe('FleetView', () => {
  it('sends its state first, then the rows a batch touched, each once and whole', () => {
    const view = new FleetView({}, 60_000, () => 5);
    const got = collect(view);
    expect(got).toEqual([[{ kind: 'fleet-state', state: 'connecting', reason: null, since: 5 }]]);
    view.add(finding('m1', 'COMMAND', 'pci_enable_device+0x1c'));
    view.add(finding('m2', 'COMMAND', 'pci_enable_device+0x1c'));
    view.add(finding('m2', 'BASE_ADDRESS_0', '__pci_read_base+0x9f'));
    view.add(finding('m3', 'COMMAND', 'pci_enable_device+0x1c', 'expected'));
    view.add('not an envelope');
    view.flush();
    expect(got).toHaveLength(2);
    const e = got[1]![0] as Extract<ServedEvent, { kind: 'fleet-rows' }>;
    expect(e.kind).toBe('fleet-rows');
    expect(e.rows.map((r) => [r['register'], r['violations'], r['machines']])).toEqual([['COMMAND', 2, ['m1', 'm2']], ['BASE_ADDRESS_0', 1, ['m2']]]);
    expect(e.totals).toEqual({ messages: 5, findings: 4, violations: 3, notViolations: 1, filtered: 0, unreadable: 1 });
    view.flush();
    expect(got).toHaveLength(2); // nothing new: nothing sent
  });

  it('says a change of state once, after the rows counted before it', () => {
    const view = new FleetView({}, 60_000, () => 7);
    const got = collect(view);
    view.add(finding('m1', 'COMMAND', 'pci_enable_device+0x1c'));
    view.setState('stalled', 'lost the connection');
    view.setState('stalled', 'lost the connection');
    expect(got.slice(1).map((b) => b.map((e) => e.kind))).toEqual([['fleet-rows', 'fleet-state']]);
    expect(got[1]![1]).toEqual({ kind: 'fleet-state', state: 'stalled', reason: 'lost the connection', since: 7 });
  });

  it('keeps the tally\'s filter: --kernel-release leaves other kernels out, counted', () => {
    const view = new FleetView({ kernel: '6.1.0' }, 60_000);
    collect(view);
    view.add(finding('m1', 'COMMAND', 'pci_enable_device+0x1c'));
    expect(view.tally.filtered).toBe(1);
    expect(view.snapshot()[0]!['rows']).toEqual([]);
  });

  it('snapshots every row, in parts of at most about 48 KiB', () => {
    const view = new FleetView({}, 60_000);
    collect(view);
    for (let i = 0; i < 2000; i++) view.add(finding(`m${i % 7}`, `ECAP_AER+0x${(i % 64).toString(16)}`, `site_${i}+0x10`));
    const parts = view.snapshot();
    expect(parts.length).toBeGreaterThan(3);
    expect(parts.every((p) => JSON.stringify(p).length < 56 * 1024)).toBe(true);
    expect(parts.map((p) => [p['part'], p['parts']])).toEqual(parts.map((_, i) => [i + 1, parts.length]));
    expect(parts.flatMap((p) => p['rows'] as unknown[])).toHaveLength(2000);
    expect(parts[0]!['totals']).toMatchObject({ findings: 2000, violations: 2000 });
  });
});
