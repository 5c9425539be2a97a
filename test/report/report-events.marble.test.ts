// Marble tests of the report's stage (reportEvents = enrichAndJudge + unexplainedWrites). Values are
// real writes of the bundled capture, hand-converted (see test/pipeline/enrich-and-judge.marble.test.ts
// for the same devices); the policy is the real luo-busmaster builtin.
import { describe, expect, it } from 'vitest';
import { map, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { Inventory } from '../../src/identity/inventory.js';
import type { AccessRecord, CaptureRecord, DeviceRecord } from '../../src/model/records.js';
import { loadPolicies } from '../../src/policy/load-policy.js';
import { reportEvents, type ReportEvent } from '../../src/report/report-events.js';

const scheduler = (): TestScheduler => new TestScheduler((a, b) => expect(a).toEqual(b));

const rootPort: DeviceRecord = { t: 'device', bdf: '0000:00:04.0', vendor: 0x1b36, device: 0x000c, class: 0x060400, headerType: 1, from: 'test', config: `${'..'.repeat(0x18)}000202` };
const nvme: DeviceRecord = { t: 'device', bdf: '0000:02:00.0', vendor: 0x1b36, device: 0x0010, class: 0x010802, headerType: 0, from: 'test' };
const read: AccessRecord = { t: 'access', ts: 2.9, cpu: 1, pid: 1, comm: 'init', op: 'r', seg: 0, bus: 0, devfn: 0x20, off: 4, size: 2, val: 0x0103, ret: null, layer: 'device', fn: null, stack: null, known: true };
// serial.log:11491 __pci_set_master, COMMAND 0x0103 -> 0x0107 on the root port: a rule's business.
const setMaster: AccessRecord = { ...read, op: 'w', val: 0x0107, layer: 'bus', fn: 'pci_bus_write_config_word', stack: 1 };
// serial.log:11717 pci_intx, COMMAND 0x0107 -> 0x0507: INTX_DISABLE, which no rule covers.
const intx: AccessRecord = { ...setMaster, val: 0x0507, stack: 2 };
const readSet: AccessRecord = { ...read, val: 0x0107 };
// serial.log:27150 the sysfs write of LATENCY_TIMER on the nvme: a register no rule mentions.
const latency: AccessRecord = { ...setMaster, bus: 2, devfn: 0, off: 0x0d, size: 1, val: 0x20, layer: 'user', fn: 'pci_user_write_config_byte', stack: 3 };
const stacks: CaptureRecord[] = [
  { t: 'stack', id: 1, frames: ['pci_bus_write_config_word', '__pci_set_master', 'pci_set_master'] },
  { t: 'stack', id: 2, frames: ['pci_bus_write_config_word', 'pci_intx', '__pci_enable_msix_range'] },
  { t: 'stack', id: 3, frames: ['pci_user_write_config_byte', 'pci_write_config', 'kernfs_fop_write_iter'] },
];

const summary = (e: ReportEvent): string => {
  switch (e.kind) {
    case 'finding': return `${e.verdict}:${e.rule.id}`;
    case 'unexplained': return `unexplained:${e.register}:${e.change}:${e.fields.join(',')}`;
    case 'check-totals': return `totals:${e.violations}`;
    default: return e.kind;
  }
};

describe('reportEvents (marbles)', async () => {
  const { policy } = await loadPolicies(['luo-busmaster']);
  policy.preserved.push({ bdf: '0000:02:00.0' });
  const run = (src: Observable<CaptureRecord>): Observable<string> => {
    const inventory = new Inventory();
    return src.pipe(reportEvents(policy, inventory), map(summary));
  };
  const values = { a: rootPort, b: nvme, x: stacks[0]!, y: stacks[1]!, z: stacks[2]!, r: read, R: readSet, w: setMaster, i: intx, l: latency };

  it('empty input: totals and end only', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(run(cold<CaptureRecord>('|'))).toBe('(te|)', { t: 'totals:0', e: 'end' });
    });
  });

  it('never-ending input: nothing, and no completion', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(run(cold<CaptureRecord>('-'))).toBe('-');
    });
  });

  it('a write a rule judges: the finding, then its uncovered bits, kept (same)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(run(cold<CaptureRecord>('abxrw---|', values))).toBe('ab--(vs)(te|)', {
        a: 'device', b: 'device', v: 'violation:bus-master', s: 'unexplained:COMMAND:same:', t: 'totals:1', e: 'end',
      });
    });
  });

  it('writes no rule covers: changed bits with their fields, a register never mentioned with its old value unknown', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(run(cold<CaptureRecord>('abyzRil|', values))).toBe('ab---uv(te|)', {
        a: 'device', b: 'device', u: 'unexplained:COMMAND:changed:INTX_DISABLE 0->1', v: 'unexplained:LATENCY_TIMER:unknown-old:', t: 'totals:0', e: 'end',
      });
    });
  });

  it('passes errors on, and stops on unsubscribe', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      expectObservable(run(cold<CaptureRecord>('a#', values))).toBe('a#', { a: 'device' });
      const src = hot<CaptureRecord>('-a-b-x-r-w', values);
      expectObservable(run(src), '^---!').toBe('-a-b', { a: 'device', b: 'device' });
      expectSubscriptions(src.subscriptions).toBe('^---!');
    });
  });
});
