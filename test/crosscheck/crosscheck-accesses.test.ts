// crosscheck over the bundled captures: the kernel side (replays/*/kernel.capture.ndjson) against
// the device side of the same run (QEMU's log: the committed device capture, or the raw log the
// kernel capture's README names). Every one-sided write and read has a reason; per phase after the
// kernel's probes exist, the two sides' write counts (and read counts, on devices QEMU has) match
// per device.
import { describe, expect, it } from 'vitest';
import { crosscheck, type OpResult } from '../../src/crosscheck/crosscheck-accesses.js';
import { isExplained, type DifferenceReason } from '../../src/crosscheck/difference-reasons.js';
import { readRecords } from '../support/read-records.js';

const root = new URL('../../', import.meta.url).pathname;
const RUNS: [string, string, string][] = [
  ['qemu-6.1-q35-basic', 'replays/qemu-6.1-q35-basic/kernel.capture.ndjson', 'replays/qemu-6.1-q35-basic/device.capture.ndjson'],
  ...['kexec', 'resets', 'sriov', '6.12-basic', '6.12-kexec', '6.12-kexec-handover'].map((s): [string, string, string] => [`lab-${s}`, `replays/lab-${s}/kernel.capture.ndjson`, `test/fixtures/lab-${s}/qemu-trace.log`]),
];

const tally = (r: OpResult): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const d of r.differences) out[`${d.side} ${d.reason}`] = (out[`${d.side} ${d.reason}`] ?? 0) + 1;
  return out;
};

describe.each(RUNS)('crosscheck %s', async (_name, kernelFile, deviceFile) => {
  const x = crosscheck(await readRecords(root + kernelFile), await readRecords(root + deviceFile));
  const r = x.writes;

  it('finds every phase anchor on the device side', () => {
    expect(x.anchorsOnDevice).toBe(x.anchors.length);
    expect(x.anchors.length).toBeGreaterThan(5);
  });

  it.each([['writes', x.writes], ['reads', x.reads]])('explains every one of the %s seen on one side only', (_op, o) => {
    expect(o.differences.filter((d) => !isExplained(d.reason)).map((d) => `${d.side} ${d.access.bdf} @${d.access.record.off} line ${d.access.record.line}`)).toEqual([]);
    expect(o.matched + o.differences.filter((d) => d.side === 'kernel').length).toBe(o.kernel);
    expect(o.matched + o.differences.filter((d) => d.side === 'device').length).toBe(o.device);
    expect(o.matched).toBeGreaterThan(0);
  });

  it('matches the write counts per device in every phase after the kernel\'s probes exist', () => {
    // The last phase is the trace dump: the kernel side ends there, QEMU logs the power-off after it.
    const after = r.segments.filter((s) => !s.kernelStart && s.index < r.segments.length - 1);
    expect(after.length).toBeGreaterThan(3);
    for (const s of after) {
      for (const c of s.devices) expect({ phase: s.label, ...c }).toEqual({ phase: s.label, ...c, device: c.kernel, matched: c.kernel });
    }
  });

  it('matches the read counts per device QEMU has in every phase after the probes exist; the others are the empty slots a rescan probes', () => {
    const after = x.reads.segments.filter((s) => !s.kernelStart && s.index < x.reads.segments.length - 1);
    for (const s of after) {
      for (const c of s.devices.filter((d) => d.device > 0)) expect({ phase: s.label, ...c }).toEqual({ phase: s.label, ...c, kernel: c.device, matched: c.device });
    }
    const absent = x.reads.differences.filter((d) => d.side === 'kernel');
    expect(absent.every((d) => d.reason === 'device-not-in-emulator')).toBe(true);
  });

  it('leaves the device-side power-off writes after the dump to the device side', () => {
    const last = r.segments.at(-1)!;
    expect(last.devices.every((c) => c.kernel === 0 && c.device > 0)).toBe(true);
    const reasons = new Set(r.differences.filter((d) => d.access.segment === last.index).map((d) => d.reason));
    expect([...reasons]).toEqual(['after-trace']);
  });
});

describe('reasons on the real runs', async () => {
  const run = async (i: number) => crosscheck(await readRecords(root + RUNS[i]![1]), await readRecords(root + RUNS[i]![2]));
  const basicRun = await run(0);
  const basic = basicRun.writes;
  const kexec = (await run(1)).writes;

  it('single boot: SeaBIOS, 8 ACPI PIRQ writes to the LPC bridge, the power-off, and the p2sb QEMU lacks', () => {
    expect(tally(basic)).toEqual({ 'device firmware': 240, 'device untraced-raw': 8, 'device after-trace': 30, 'kernel device-not-in-emulator': 2 });
    const raw = basic.differences.filter((d) => d.reason === 'untraced-raw');
    expect(new Set(raw.map((d) => d.access.bdf))).toEqual(new Set(['0000:00:1f.0']));
    expect(raw.map((d) => d.access.record.off)).toEqual([0x60, 0x61, 0x62, 0x63, 0x68, 0x69, 0x6a, 0x6b]);
    const p2sb = basic.differences.filter((d) => d.reason === 'device-not-in-emulator');
    expect(p2sb.map((d) => d.access.bdf)).toEqual(['0000:00:1f.1', '0000:00:1f.1']);
  });

  it('single boot, reads: SeaBIOS, the enumeration before kprobe events exist, the power-off, and slots QEMU leaves empty', () => {
    expect(tally(basicRun.reads)).toEqual({ 'device firmware': 382, 'device before-probes': 1294, 'device after-trace': 31, 'kernel device-not-in-emulator': 35 });
    // The whole-bus rescan of phase 4 reads the vendor ID of every empty slot of bus 0.
    const rescan = basicRun.reads.differences.filter((d) => d.side === 'kernel' && basicRun.reads.segments[d.access.segment]!.label.startsWith('PHASE[4]'));
    expect(rescan.length).toBe(32);
    expect(rescan.every((d) => d.access.record.off === 0)).toBe(true);
  });

  it('kexec: the old kernel\'s shutdown writes sit between the two kernels, each kernel has its ACPI writes', () => {
    expect(tally(kexec)).toEqual({
      'device firmware': 240, 'device untraced-raw': 16, 'device between-kernels': 31, 'device after-trace': 30, 'kernel device-not-in-emulator': 4,
    });
    const between = kexec.differences.filter((d) => d.reason === ('between-kernels' satisfies DifferenceReason));
    // pci_device_shutdown -> pci_clear_master on the three endpoints and the root ports (COMMAND 0x107 -> 0x103 ...)
    expect(new Set(between.map((d) => d.access.bdf))).toEqual(new Set(['0000:00:03.0', '0000:00:04.0', '0000:00:05.0', '0000:01:00.0', '0000:02:00.0', '0000:03:00.0']));
    const shutdownPhase = kexec.segments[between[0]!.access.segment]!;
    expect(shutdownPhase.label).toBe('PHASE[4] dump (stage 1), then kernel 2 (after kexec) boots');
    expect(between.every((d) => d.access.segment === shutdownPhase.index)).toBe(true);
  });
});
