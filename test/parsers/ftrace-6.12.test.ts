// What Linux 6.12 prints differently, on the real serial console of the 6.12 lab's basic boot
// (test/fixtures/lab-6.12-basic, `cfgscope boot-args` of that kernel: return probes on the reads):
// kprobe sites at `+0x4`, function-tracer stacks under ` => [FTRACE TRAMPOLINE]`, read events from
// return probes (`(caller+0x2d/0x170 <- pci_bus_read_config_dword) ... val=0x... ret=0`) whose
// stacks start at the caller, and absent functions that read all-ones.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccessRecord, CaptureRecord } from '../../src/model/records.js';
import { trimTracingFrames } from '../../src/parsers/accessors.js';
import { parseKprobeBody } from '../../src/parsers/ftrace-line.js';
import { fixture, readRecords } from '../support/read-records.js';

const SERIAL = fixture('lab-6.12-basic/serial.log');
const text = readFileSync(SERIAL, 'utf8').replace(/\r/g, '');
const lines = text.split('\n');

describe('6.12 serial console (lab-6.12-basic)', async () => {
  const records: CaptureRecord[] = await readRecords(SERIAL);
  const accesses = records.filter((r): r is AccessRecord => r.t === 'access');
  const stacks = new Map(records.flatMap((r) => (r.t === 'stack' ? [[r.id, r.frames] as const] : [])));
  const at = (line: number) => accesses.find((a) => a.line === line)!;

  it('skips no line of it', () => {
    expect(records.filter((r) => r.t === 'skipped')).toEqual([]);
  });

  it('reads every kprobe write event, whose site prints as +0x4, with its target and value', () => {
    const raw = lines.filter((l) => /: (wb|ww|wd|uwb|uww|uwd): \(pci_\w+\+0x4\//.test(l));
    expect(raw.length).toBeGreaterThan(100);
    // every printed site is +0x4 on this kernel
    expect(lines.filter((l) => /: (wb|ww|wd): \(pci_bus_write_config_\w+\+0x0\//.test(l))).toEqual([]);
    const known = accesses.filter((a) => a.op === 'w' && a.known);
    expect(known.length).toBe(raw.length);
    expect(known.every((a) => a.val !== null && a.bus !== null && a.off !== null)).toBe(true);
  });

  it('takes every read from its return probe with the value read and the return code', () => {
    const raw = lines.filter((l) => /: (rb|rw|rd|urb|urw|urd): \(\S+ <- pci_(bus|user)_read_config_(byte|word|dword)\)/.test(l));
    const reads = accesses.filter((a) => a.op === 'r');
    expect(reads.length).toBe(raw.length);
    expect(reads.length).toBeGreaterThan(700);
    expect(reads.filter((a) => a.val === null || a.ret !== 0)).toEqual([]);
    // the first one: p2sb_fs_init reads 00:1f.1 @0xe0 (q35 has no 00:1f.1: all-ones)
    const first = lines.findIndex((l) => l.includes(' <- pci_bus_read_config_dword) bus=0 devfn=0xf9 where=0xe0 ')) + 1;
    expect(at(first)).toMatchObject({ op: 'r', fn: 'pci_bus_read_config_dword', bus: 0, devfn: 0xf9, off: 0xe0, size: 4, val: 0xffffffff, ret: 0, layer: 'bus' });
  });

  it('keeps a return probe\'s stack as printed: it starts at the caller, the accessor has returned', () => {
    const vendorRead = lines.findIndex((l) => /rd: \(pci_bus_generic_read_dev_vendor_id\+0x[0-9a-f]+\/0x[0-9a-f]+ <- pci_bus_read_config_dword\)/.test(l)) + 1;
    const a = at(vendorRead);
    expect(a.off).toBe(0);
    expect(stacks.get(a.stack!)!.slice(0, 2)).toEqual(['pci_bus_generic_read_dev_vendor_id', 'pci_scan_single_device']);
  });

  it('drops the [FTRACE TRAMPOLINE] frame: function-tracer stacks start at the accessor', () => {
    expect(text.split(' => [FTRACE TRAMPOLINE]').length - 1).toBeGreaterThan(200);
    expect([...stacks.values()].filter((f) => f.includes('[FTRACE TRAMPOLINE]'))).toEqual([]);
    const early = accesses.filter((a) => a.op === 'w' && !a.known);
    expect(early.length).toBeGreaterThan(200);
    for (const a of early) expect(stacks.get(a.stack!)![0]).toBe(a.fn);
  });

  it('drops the trampoline frame also when the accessor is not in the stack', () => {
    // The first function-tracer stack of the fixture, without its accessor frame.
    const s = lines.indexOf(' => [FTRACE TRAMPOLINE]');
    const frames = lines.slice(s, s + 6).map((l) => l.slice(4));
    expect(frames[1]).toMatch(/^pci_bus_write_config_/);
    expect(trimTracingFrames([frames[0]!, ...frames.slice(2)], null)).toEqual(frames.slice(2));
  });
});

describe('a read that failed (edited copy of lab-6.12-basic: one return code set to PCIBIOS_DEVICE_NOT_FOUND)', () => {
  it('has an unknown value, not the all-ones the accessor filled in, and keeps its return code', async () => {
    const at = lines.findIndex((l) => / <- pci_bus_read_config_dword\) .* val=0xffffffff ret=0$/.test(l));
    const edited = [...lines];
    edited[at] = edited[at]!.replace(/ret=0$/, 'ret=134');
    const file = join(mkdtempSync(join(tmpdir(), 'cfgscope-612-')), 'serial.log');
    writeFileSync(file, edited.join('\n'));
    const records = await readRecords(file);
    const a = records.find((r): r is AccessRecord => r.t === 'access' && r.line === at + 1)!;
    expect(a).toMatchObject({ op: 'r', val: null, ret: 134 });
    const untouched = (await readRecords(SERIAL)).find((r): r is AccessRecord => r.t === 'access' && r.line === at + 1)!;
    expect(untouched).toMatchObject({ op: 'r', val: 0xffffffff, ret: 0 });
  });
});

describe('kprobe bodies', () => {
  it('take a return probe whose caller is in a module', () => {
    expect(parseKprobeBody('rw: (e1000e_read_pcie_cap_reg+0x2f/0x50 [e1000e] <- pci_bus_read_config_word) bus=1 devfn=0x0 where=0xe0 val=0x10 ret=0'))
      .toMatchObject({ event: 'rw', fn: 'pci_bus_read_config_word', returnProbe: true });
  });
});

// While `cfgscope capture` runs, bpftrace's kretprobes sit on the same read accessors as the boot
// fragment's return probes, and ftrace prints the caller as the kretprobe trampoline (the lab's
// kexec-handover run captures in both kernels: test/fixtures/lab-6.12-kexec-handover).
describe('return probes sharing their function with another kretprobe (lab-6.12-kexec-handover)', async () => {
  const serial = fixture('lab-6.12-kexec-handover/serial.log');
  const raw = readFileSync(serial, 'utf8').replace(/\r/g, '').split('\n');
  const shared = raw.map((l, i) => [l, i + 1] as const).filter(([l]) => l.includes("([unknown/kretprobe'd] <- pci_"));
  const records: CaptureRecord[] = await readRecords(serial);

  it('names the probed function after the arrow; the caller is unknown', () => {
    expect(parseKprobeBody("rw: ([unknown/kretprobe'd] <- pci_bus_read_config_word) bus=1 devfn=0x0 where=0xf0 val=0x0 ret=0"))
      .toEqual({ event: 'rw', fn: 'pci_bus_read_config_word', args: new Map([['bus', '1'], ['devfn', '0x0'], ['where', '0xf0'], ['val', '0x0'], ['ret', '0']]), returnProbe: true });
    expect(parseKprobeBody("rw: ([unknown/kretprobe'd]) bus=1")).toBeNull();
  });

  it('reads each such event of the run as an access with its stack, skipping no line', () => {
    expect(shared.length).toBeGreaterThan(0);
    expect(records.filter((r) => r.t === 'skipped')).toEqual([]);
    const byLine = new Map(records.flatMap((r) => (r.t === 'access' ? [[r.line, r] as const] : [])));
    for (const [, no] of shared) expect(byLine.get(no)).toMatchObject({ op: 'r', known: true, stack: expect.any(Number) });
  });
});
