// Marble tests of the pipeline operators (TestScheduler): timing and completion semantics.
// Record values are lines of the real shared fixture (serial.log / qemu-trace.log), hand-converted.
import { describe, expect, it } from 'vitest';
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { AccessRecord, CaptureRecord } from '../../src/model/records.js';
import { enrichAccesses } from '../../src/pipeline/enrich-accesses.js';
import type { PipelineEvent } from '../../src/model/events.js';
import { summarizePhases, type SummaryEvent } from '../../src/pipeline/summarize-phases.js';

const scheduler = (): TestScheduler => new TestScheduler((a, b) => expect(a).toEqual(b));

// serial.log line 27150: dd writes 0x20 to 0000:02:00.0 offset 0x0d (LATENCY_TIMER) through sysfs.
const sysfsWrite: AccessRecord = {
  t: 'access', ts: 11.857412, cpu: 0, pid: 231, comm: 'dd', op: 'w', seg: 0, bus: 2, devfn: 0, off: 0xd, size: 1, val: 0x20,
  ret: null, layer: 'user', fn: 'pci_user_write_config_byte', stack: 1, known: true, line: 27150,
};
const stack: CaptureRecord = { t: 'stack', id: 1, frames: ['pci_user_write_config_byte', 'pci_write_config', 'kernfs_fop_write_iter'] };
const phase: CaptureRecord = { t: 'phase', ts: 11.835645, label: 'PHASE[5] sysfs write 0000:02:00.0 cfg[0x0d]', index: 5, line: 27140 };
// qemu-trace.log: the device answered a read of 0x0c as 0x0 before the write (value known).
const read0c: AccessRecord = { ...sysfsWrite, op: 'r', off: 0xc, size: 4, val: 0, fn: 'pci_user_read_config_dword', stack: null, line: 1 };

const kinds = (e: PipelineEvent | SummaryEvent): string => e.kind;

describe('enrichAccesses (marbles)', () => {
  it('emits only the end event for an empty stream', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<CaptureRecord>('|').pipe(enrichAccesses(), map(kinds))).toBe('(e|)', { e: 'end' });
    });
  });

  it('joins an access with its stack, register name, call site and phase', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const out = cold<CaptureRecord>('s-p-a|', { s: stack, p: phase, a: sysfsWrite }).pipe(enrichAccesses());
      expectObservable(out.pipe(map((e) => (e.kind === 'access'
        ? `${e.bdf} ${e.register} ${e.callSite} ${e.phase.label} old=${e.old}` : e.kind)))).toBe('--p-a(e|)', {
        p: 'phase', a: '0000:02:00.0 LATENCY_TIMER pci_write_config PHASE[5] sysfs write 0000:02:00.0 cfg[0x0d] old=null', e: 'end',
      });
    });
  });

  it('knows the old value from an earlier read that carried it', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const out = cold<CaptureRecord>('r-w|', { r: read0c, w: sysfsWrite }).pipe(enrichAccesses());
      expectObservable(out.pipe(map((e) => (e.kind === 'access' ? `${e.access.op}:${e.old}` : e.kind)))).toBe('r-w(e|)', { r: 'r:null', w: 'w:0', e: 'end' });
    });
  });

  it('passes an error through without an end event', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<CaptureRecord>('a#', { a: sysfsWrite }, new Error('disk')).pipe(enrichAccesses(), map(kinds))).toBe('a#', { a: 'access' }, new Error('disk'));
    });
  });

  it('never ends on a never-ending source, and unsubscribes from it early', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      expectObservable(cold<CaptureRecord>('a-', { a: sysfsWrite }).pipe(enrichAccesses(), map(kinds))).toBe('a-', { a: 'access' });
      const src = hot<CaptureRecord>('-a-a-a-a', { a: sysfsWrite });
      expectObservable(src.pipe(enrichAccesses(), map(kinds)), '^--!').toBe('-a-', { a: 'access' });
      expectSubscriptions(src.subscriptions).toBe('^--!');
    });
  });

  it('keeps per-subscription state: two subscribers do not share indexes', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const out = cold<CaptureRecord>('aa|', { a: sysfsWrite }).pipe(enrichAccesses(), map((e) => (e.kind === 'access' ? e.index : -1)));
      expectObservable(out).toBe('ab(c|)', { a: 0, b: 1, c: -1 });
      expectObservable(out).toBe('ab(c|)', { a: 0, b: 1, c: -1 });
    });
  });
});

describe('summarizePhases (marbles)', () => {
  it('emits one summary per phase, when the next phase starts and at the end', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const out = cold<CaptureRecord>('a-p-a-a|', { a: sysfsWrite, p: phase }).pipe(enrichAccesses(), summarizePhases());
      expectObservable(out.pipe(map((e) => (e.kind === 'phase-summary' ? `${e.phase.label}:${e.writes}` : e.kind)))).toBe('--(sp)-(te|)', {
        s: 'boot:1', p: 'phase', t: 'PHASE[5] sysfs write 0000:02:00.0 cfg[0x0d]:2', e: 'end',
      });
    });
  });

  it('groups writes by device, register and call site with their transitions', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const out = cold<CaptureRecord>('s-r-w-w|', { s: stack, r: read0c, w: sysfsWrite }).pipe(enrichAccesses(), summarizePhases());
      expectObservable(out.pipe(map((e) => (e.kind === 'phase-summary'
        ? e.rows.map((r) => `${r.bdf} ${r.register} x${r.count} ${[...r.transitions].map(([t, n]) => `${t}*${n}`).join(',')} @${r.callSite}`).join(';') : e.kind)))).toBe('-------(se|)', {
        s: '0000:02:00.0 LATENCY_TIMER x2 0x00->0x20*1,0x20->0x20*1 @pci_write_config', e: 'end',
      });
    });
  });

  it('propagates errors and completes on empty input with just the end event', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<CaptureRecord>('|').pipe(enrichAccesses(), summarizePhases(), map(kinds))).toBe('(e|)', { e: 'end' });
      expectObservable(cold<CaptureRecord>('#').pipe(enrichAccesses(), summarizePhases(), map(kinds))).toBe('#');
    });
  });
});
