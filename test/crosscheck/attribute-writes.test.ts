// Early-boot writes get their target from the device side of the same real run.
import { describe, expect, it } from 'vitest';
import { deviceWrites, WriteAttributor } from '../../src/crosscheck/attribute-writes.js';
import { formatBdf } from '../../src/model/bdf.js';
import type { AccessRecord, CaptureRecord } from '../../src/model/records.js';
import { fixture, readRecords } from '../support/read-records.js';

describe('attributing early-boot writes (qemu-6.1-q35-basic)', async () => {
  const kernel = await readRecords(fixture('qemu-6.1-q35-basic/serial.log'));
  const device = await readRecords(fixture('qemu-6.1-q35-basic/qemu-trace.log'));
  const attributor = new WriteAttributor(deviceWrites(device));
  const out: CaptureRecord[] = [];
  for (const r of kernel) out.push(...attributor.push(r));
  out.push(...attributor.end());
  const writes = out.filter((r): r is AccessRecord => r.t === 'access' && r.op === 'w');
  const stacks = new Map(out.flatMap((r) => (r.t === 'stack' ? [[r.id, r.frames] as const] : [])));
  const site = (a: AccessRecord): string => stacks.get(a.stack!)![1]!;

  const fromDevice = (rs: CaptureRecord[]) => rs.filter((r): r is AccessRecord => r.t === 'access' && r.layer === 'device');

  it('keeps every record, in order', () => {
    const kept = out.filter((r) => !(r.t === 'access' && r.layer === 'device'));
    expect(kept.length).toBe(kernel.length);
    expect(kept.map((r) => r.t)).toEqual(kernel.map((r) => r.t));
  });

  it('adds the 8 ACPI writes the function tracer could not see as device-layer writes, among the early writes', () => {
    // QEMU's log, lines 2164-2192: ICH9 LPC PIRQ routing (0x60-0x63, 0x68-0x6b) set to 0x8x (disabled)
    // by the ACPI _DIS methods through raw_pci_write, before kprobe events exist.
    const acpi = fromDevice(out);
    expect(acpi.map((w) => [formatBdf(w.seg!, w.bus!, w.devfn!), w.off, w.val])).toEqual(
      [[0x60, 0x8a], [0x61, 0x8a], [0x62, 0x8b], [0x63, 0x8b], [0x68, 0x8a], [0x69, 0x8a], [0x6a, 0x8b], [0x6b, 0x8b]].map(([o, v]) => ['0000:00:1f.0', o, v]));
    expect(attributor.stats).toMatchObject({ deviceOnly: 38, deviceRecords: 8 }); // the other 30: power-off after the dump
    const at = out.indexOf(acpi[0]!);
    const before = out.slice(0, at).filter((r): r is AccessRecord => r.t === 'access' && r.op === 'w');
    // After the last early write the function tracer saw, before the first one a kprobe event recorded.
    expect(before.at(-1)!.attributed).toBe('device-log');
    const next = out.slice(at + 8).find((r): r is AccessRecord => r.t === 'access' && r.op === 'w')!;
    expect([next.layer, next.known, next.attributed]).toEqual(['bus', true, undefined]);
    expect(before.filter((w) => w.layer === 'bus' && !w.attributed).length).toBe(0);
  });

  it('gives every early write a target; only untraced device writes are left over', () => {
    // 155 kprobe-recorded writes: 153 found on the device side; the other 2 go to 0000:00:1f.1 (p2sb),
    // a function QEMU's q35 does not have (the fixture's README says so).
    expect(attributor.stats).toMatchObject({ attributed: 282, leftUnknown: 0, anchors: 153, kernelOnly: 2 });
    const kernelOnly = writes.filter((w) => !w.attributed && w.layer === 'bus' && w.bus === 0 && w.devfn === 0xf9);
    expect(kernelOnly.length).toBe(2);
    expect(writes.filter((w) => !w.known)).toEqual([]);
  });

  it('lands each call site on the registers its code writes (drivers/pci/probe.c, setup-bus.c)', () => {
    const early = writes.filter((w) => w.attributed === 'device-log');
    for (const w of early.filter((x) => site(x) === '__pci_read_base')) {
      // __pci_read_base clears COMMAND decode bits (word at 0x04) around sizing BARs (dwords).
      expect(w.size === 2 ? [0x04] : [0x10, 0x14, 0x18, 0x1c, 0x20, 0x24, 0x30, 0x38]).toContain(w.off);
    }
    const bridgeSites = early.filter((x) => site(x) === 'pci_scan_bridge_extend').map((w) => formatBdf(w.seg!, w.bus!, w.devfn!));
    expect(new Set(bridgeSites)).toEqual(new Set(['0000:00:03.0', '0000:00:04.0', '0000:00:05.0']));
  });

  it('finds the nvme BAR sizing at boot: 0xffffffff written to BASE_ADDRESS_0 of 0000:02:00.0', () => {
    const nvme = writes.filter((w) => w.attributed && w.bus === 2 && w.devfn === 0 && w.off === 0x10);
    expect(nvme.map((w) => w.val)).toContain(0xffffffff);
    expect(nvme.every((w) => site(w) === '__pci_read_base')).toBe(true);
  });
});

describe('attributing the early writes of both kernels of a kexec run (lab-kexec)', async () => {
  const kernel = await readRecords(fixture('lab-kexec/serial.log'));
  const device = await readRecords(fixture('lab-kexec/qemu-trace.log'));
  const attributor = new WriteAttributor(deviceWrites(device));
  const out: CaptureRecord[] = [];
  for (const r of kernel) out.push(...attributor.push(r));
  out.push(...attributor.end());
  const stacks = new Map(out.flatMap((r) => (r.t === 'stack' ? [[r.id, r.frames] as const] : [])));
  const early = out.filter((r): r is AccessRecord => r.t === 'access' && r.attributed === 'device-log');

  it('places all of them, the second kernel\'s after the first one\'s shutdown writes', () => {
    expect(attributor.stats).toMatchObject({ attributed: 565, leftUnknown: 0 });
    for (const w of early.filter((x) => stacks.get(x.stack!)![1] === '__pci_read_base')) {
      expect(w.size === 2 ? [0x04] : [0x10, 0x14, 0x18, 0x1c, 0x20, 0x24, 0x30, 0x38]).toContain(w.off);
    }
  });

  it('gives the second kernel\'s first write to the MCH, not to the old kernel\'s shutdown write of the same width and value', () => {
    // Device side (qemu-trace.log:2943 and :3118): the old kernel's shutdown clears 03:00.0's COMMAND
    // to 0x503, and the new kernel's first write, pci_setup_device on 00:00.0, is also a word 0x503
    // at 0x04. Pairing earliest would send it to 03:00.0 and leave the MCH's write device-only.
    const trace2 = out.findIndex((r) => r.t === 'boot' && r.segment === 'kernel' && r.kernel === 2);
    const first = out.slice(trace2).find((r): r is AccessRecord => r.t === 'access' && r.op === 'w')!;
    expect([formatBdf(first.seg!, first.bus!, first.devfn!), first.off, first.val, stacks.get(first.stack!)![1]]).toEqual(['0000:00:00.0', 0x04, 0x503, 'pci_setup_device.cold']);
  });

  it('puts the old kernel\'s shutdown writes, seen by QEMU only, before the second trace as device-layer writes', () => {
    const trace2 = out.findIndex((r) => r.t === 'boot' && r.segment === 'kernel' && r.kernel === 2);
    const shutdown: AccessRecord[] = [];
    let i = trace2 - 1;
    for (; out[i]!.t === 'access' && (out[i] as AccessRecord).layer === 'device'; i--) shutdown.unshift(out[i] as AccessRecord);
    expect(shutdown.length).toBe(31);
    // ...under a boot record of their own: the handover into kernel 2 (src/model/boots.ts).
    expect(out[i]).toEqual({ t: 'boot', kernel: 2, segment: 'handover' });
    // pci_device_shutdown -> pci_clear_master: COMMAND 0x0507 -> 0x0503 on virtio-net first
    expect([formatBdf(shutdown[0]!.seg!, shutdown[0]!.bus!, shutdown[0]!.devfn!), shutdown[0]!.off, shutdown[0]!.val]).toEqual(['0000:03:00.0', 0x04, 0x503]);
    expect(attributor.stats).toMatchObject({ deviceOnly: 77, deviceRecords: 47 }); // + 16 ACPI; 30 power-off left out
  });

  it('finds pci_msix_init clearing the MSI-X enable virtio-net kept across kexec', () => {
    const msix = early.filter((w) => stacks.get(w.stack!)![1] === 'pci_msix_init');
    expect(msix.map((w) => [formatBdf(w.seg!, w.bus!, w.devfn!), w.off, w.val])).toEqual([['0000:03:00.0', 0xde, 0x3]]);
  });
});
