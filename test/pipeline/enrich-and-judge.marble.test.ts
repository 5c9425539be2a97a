// Marble tests of enrichAndJudge, the one enrich -> judge operator. Values are real writes of the bundled capture
// (serial.log lines cited), hand-converted; the policy is the real luo-busmaster builtin.
import { describe, expect, it } from 'vitest';
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { Inventory } from '../../src/identity/inventory.js';
import type { AccessRecord, CaptureRecord, DeviceRecord } from '../../src/model/records.js';
import type { CheckEvent } from '../../src/pipeline/check-policy.js';
import { enrichAndJudge } from '../../src/pipeline/enrich-and-judge.js';
import { loadPolicies } from '../../src/policy/load-policy.js';

const scheduler = (): TestScheduler => new TestScheduler((a, b) => expect(a).toEqual(b));

// Root port 0000:00:04.0 above the nvme at 0000:02:00.0 (bus numbers from qemu-trace.log).
const rootPort: DeviceRecord = { t: 'device', bdf: '0000:00:04.0', vendor: 0x1b36, device: 0x000c, class: 0x060400, headerType: 1, from: 'test', config: `${'..'.repeat(0x18)}000202` };
const nvme: DeviceRecord = { t: 'device', bdf: '0000:02:00.0', vendor: 0x1b36, device: 0x0010, class: 0x010802, headerType: 0, from: 'test' };
// serial.log (attributed): __pci_set_master on the root port, COMMAND 0x0103 -> 0x0107.
const read: AccessRecord = { t: 'access', ts: 2.9, cpu: 1, pid: 1, comm: 'init', op: 'r', seg: 0, bus: 0, devfn: 0x20, off: 4, size: 2, val: 0x0103, ret: null, layer: 'device', fn: null, stack: null, known: true };
const setMaster: AccessRecord = { ...read, op: 'w', val: 0x0107, layer: 'bus', fn: 'pci_bus_write_config_word', stack: 1 };
const stack: CaptureRecord = { t: 'stack', id: 1, frames: ['pci_bus_write_config_word', '__pci_set_master', 'pci_enable_bridge'] };
const early: AccessRecord = { ...setMaster, known: false, seg: null, bus: null, devfn: null, off: null, val: null };

const summary = (e: CheckEvent): string => {
  switch (e.kind) {
    case 'finding': return `${e.verdict}:${e.rule.id}:${e.device.bdf}:${e.fields.join(',')}`;
    case 'check-totals': return `totals:${e.violations}/${e.unattributed}`;
    default: return e.kind;
  }
};

describe('enrichAndJudge (marbles)', async () => {
  const { policy } = await loadPolicies(['luo-busmaster']);
  policy.preserved.push({ bdf: '0000:02:00.0' });
  const run = (src: import('rxjs').Observable<CaptureRecord>) => {
    const inventory = new Inventory();
    return src.pipe(enrichAndJudge(policy, { inventory }), map(summary));
  };

  it('empty input: totals and end only', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(run(cold<CaptureRecord>('|'))).toBe('(te|)', { t: 'totals:0/0', e: 'end' });
    });
  });

  it('flags bus master set on the bridge above a preserved device, with the field that changed', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold<CaptureRecord>('abcrw|', { a: rootPort, b: nvme, c: stack, r: read, w: setMaster });
      expectObservable(run(src)).toBe('ab--v(te|)', { a: 'device', b: 'device', v: 'violation:bus-master:0000:00:04.0:MASTER 0->1', t: 'totals:1/0', e: 'end' });
    });
  });

  it('says nothing about the same write when no device is preserved above it', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold<CaptureRecord>('acrw|', { a: rootPort, c: stack, r: read, w: setMaster });
      expectObservable(run(src)).toBe('a---(te|)', { a: 'device', t: 'totals:0/0', e: 'end' });
    });
  });

  it('reports an early write with no target as unattributed', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(run(cold<CaptureRecord>('c-x|', { c: stack, x: early }))).toBe('--u(te|)', { u: 'unattributed', t: 'totals:0/1', e: 'end' });
    });
  });

  it('passes errors on, and stops on unsubscribe', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      expectObservable(run(cold<CaptureRecord>('a#', { a: rootPort }))).toBe('a#', { a: 'device' });
      const src = hot<CaptureRecord>('-a-b-c-r-w', { a: rootPort, b: nvme, c: stack, r: read, w: setMaster });
      expectObservable(run(src), '^---!').toBe('-a-b', { a: 'device', b: 'device' });
      expectSubscriptions(src.subscriptions).toBe('^---!');
    });
  });
});
