// Done-when of issue 15's handover: on the 6.12 kexec scenario with the handover armed by
// `cfgscope capture --arm-handover`, the handover that kernel 2's `cfgscope capture` read holds the
// device side's writes between the two kernels, per device and in order, each with a stack.
// The run: test/fixtures/lab-6.12-kexec-handover (guest/ is what cfgscope wrote in the guest).
// The device side's writes between the kernels are what `crosscheck` leaves `between-kernels`
// when the kernel side lacks the handover: the serial-log capture of the same run without it.
import { describe, expect, it } from 'vitest';
import { crosscheck } from '../../src/crosscheck/crosscheck-accesses.js';
import { formatBdf } from '../../src/model/bdf.js';
import type { AccessRecord, CaptureRecord, StackRecord } from '../../src/model/records.js';
import { HANDOVER_FIXTURE } from '../support/handover-fixture.js';
import { readRecords } from '../support/read-records.js';

const root = new URL('../../', import.meta.url).pathname;
const key = (a: AccessRecord): string => `${formatBdf(a.seg ?? 0, a.bus!, a.devfn!)} @0x${a.off!.toString(16)} = 0x${a.val!.toString(16)}`;
const isHandoverStart = (r: CaptureRecord): boolean => r.t === 'boot' && r.segment === 'handover' && r.side === 'kernel';
const isKernel2 = (r: CaptureRecord): boolean => r.t === 'boot' && r.segment === 'kernel' && r.kernel === 2;

/** [start, end) of the kernel-side handover: from its boot record to kernel 2's. */
function handoverSpan(records: CaptureRecord[]): [number, number] {
  const start = records.findIndex(isHandoverStart);
  const end = records.findIndex(isKernel2);
  expect(start).toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(start);
  return [start, end];
}
const writesIn = (rs: CaptureRecord[]): AccessRecord[] => rs.filter((r): r is AccessRecord => r.t === 'access' && r.op === 'w' && r.layer !== 'device');
const byDevice = (ws: AccessRecord[]): Record<string, string[]> => ws.reduce<Record<string, string[]>>((m, w) => {
  const k = key(w).split(' ')[0]!;
  (m[k] ??= []).push(key(w));
  return m;
}, {});

describe('the handover kernel 2\'s capture read (lab-6.12-kexec-handover, guest/kernel2.capture.ndjson)', async () => {
  const k2 = await readRecords(`${HANDOVER_FIXTURE}/guest/kernel2.capture.ndjson`);
  const [s, e] = handoverSpan(k2);
  const handover = k2.slice(s, e);
  const writes = writesIn(handover);
  const serial = await readRecords(`${root}replays/lab-6.12-kexec-handover/kernel.capture.ndjson`);
  const [ss, se] = handoverSpan(serial);
  const qemu = await readRecords(`${HANDOVER_FIXTURE}/qemu-trace.log`);
  // The serial-log capture without its handover: the old kernel's shutdown is then the device side's alone.
  const without = crosscheck([...serial.slice(0, ss), ...serial.slice(se)], qemu);
  const between = without.writes.differences.filter((d) => d.reason === 'between-kernels').map((d) => d.access.record)
    .sort((a, b) => a.line! - b.line!);

  it('starts the capture: the handover boot, then kernel 2\'s boot record, before the boot trace and the live part', () => {
    expect(s).toBe(1); // right after the header
    expect(k2.slice(e + 1).some((r) => r.t === 'phase' && r.label === 'bpftrace attached')).toBe(true);
    expect(k2.filter((r) => r.t === 'skipped')).toEqual([]);
  });

  it('holds the device side\'s writes between the kernels, per device and in order', () => {
    expect(between.length).toBeGreaterThan(0);
    expect(writes.map(key)).toEqual(between.map(key));
    expect(byDevice(writes)).toEqual(byDevice(between));
    // and with the handover the serial-log capture leaves none between the kernels
    expect(crosscheck(serial, qemu).writes.differences.filter((d) => d.reason === 'between-kernels')).toEqual([]);
  });

  it('each write with its stack, from the old kernel\'s shutdown, module frames named', () => {
    const stacks = new Map(k2.filter((r): r is StackRecord => r.t === 'stack').map((r) => [r.id, r.frames]));
    expect(writes.every((w) => w.known && w.stack !== null && (stacks.get(w.stack)?.length ?? 0) > 0)).toBe(true);
    const frames = writes.flatMap((w) => stacks.get(w.stack!)!);
    expect(frames).toContain('device_shutdown');
    expect(frames).toContain('pci_device_shutdown');
    expect(frames.filter((f) => /^0x[0-9a-f]+$/.test(f))).toEqual([]);
  });

  it('is the same buffer the console printed (the serial-log capture\'s handover): same writes, same stacks', () => {
    const stackOf = (rs: CaptureRecord[]) => {
      const m = new Map(rs.filter((r): r is StackRecord => r.t === 'stack').map((r) => [r.id, r.frames.join(' < ')]));
      return (w: AccessRecord): string => `${key(w)} ${m.get(w.stack!)}`;
    };
    expect(writes.map(stackOf(k2))).toEqual(writesIn(serial.slice(ss, se)).map(stackOf(serial)));
  });
});
