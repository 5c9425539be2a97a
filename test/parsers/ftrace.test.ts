import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccessRecord, CaptureRecord, SkippedRecord } from '../../src/model/records.js';
import { ftraceFormat } from '../../src/parsers/ftrace.js';
import { detectFormat } from '../../src/parsers/index.js';
import { fixture, readRecords } from '../support/read-records.js';

const SERIAL = fixture('qemu-6.1-q35-basic/serial.log');
const accesses = (rs: CaptureRecord[]): AccessRecord[] => rs.filter((r): r is AccessRecord => r.t === 'access');

function tmpFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cfgscope-'));
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('ftrace parser on a real serial console (Debian 6.1 under QEMU)', async () => {
  const recs = await readRecords(SERIAL);
  const acc = accesses(recs);

  it('reads the header from the console around the trace', () => {
    const h = recs[0]!;
    expect(h).toMatchObject({ t: 'header', source: { kind: 'ftrace' }, clock: 'global', kernel: { release: '6.1.0-56-amd64' } });
  });

  it('counts every kprobe event and every early function-tracer hit, merging nested hits', () => {
    // grep counts on the fixture: 81 rb + 277 rw + 329 rd + 96 ww + 58 wd + 7 urb + 1 uwb kprobe
    // events; 436 function-tracer hits, 154 of which repeat a kprobe-recorded write.
    expect(acc.filter((a) => a.known).length).toBe(81 + 277 + 329 + 96 + 58 + 7 + 1);
    expect(acc.filter((a) => !a.known).length).toBe(436 - 154);
    expect(recs.filter((r) => r.t === 'nested').length).toBe(154);
    expect(recs.filter((r) => r.t === 'skipped')).toEqual([]);
  });

  it('keeps early-boot writes with their call site though the arguments are unknown', () => {
    const first = acc.find((a) => !a.known)!;
    expect(first).toMatchObject({ op: 'w', fn: 'pci_bus_write_config_word', size: 2, bus: null, off: null, val: null, ts: 2.092352, cpu: 1, pid: 1, comm: 'init' });
    const stack = recs.find((r) => r.t === 'stack' && r.id === first.stack);
    // The ftrace trampoline frame (0xffffffffc0000083) above the accessor is dropped.
    expect(stack?.t === 'stack' && stack.frames.slice(0, 3)).toEqual(['pci_bus_write_config_word', 'pci_setup_device.cold', 'pci_scan_single_device']);
    expect(stack?.t === 'stack' && stack.frames.length).toBe(22);
  });

  it('parses kprobe arguments of a bridge-window write', () => {
    const w = acc.find((a) => a.line === 8160)!;
    expect(w).toMatchObject({ op: 'w', layer: 'bus', fn: 'pci_bus_write_config_dword', seg: 0, bus: 0, devfn: 0x18, off: 0x30, size: 4, val: 0xffff, known: true, ts: 2.876598 });
  });

  it('parses the sysfs write and the phase markers', () => {
    const u = acc.find((a) => a.layer === 'user' && a.op === 'w')!;
    expect(u).toMatchObject({ comm: 'dd', pid: 231, bus: 2, devfn: 0, off: 0xd, size: 1, val: 0x20, fn: 'pci_user_write_config_byte' });
    const phases = recs.filter((r) => r.t === 'phase').map((p) => p.t === 'phase' && [p.index, p.label]);
    expect(phases).toEqual([
      [0, 'PHASE[0] boot-complete (stage 1)'], [1, 'PHASE[1] insmod e1000e'], [2, 'PHASE[2] insmod nvme'], [3, 'PHASE[3] insmod virtio'],
      [4, 'PHASE[4] remove+rescan 0000:01:00.0'], [5, 'PHASE[5] sysfs write 0000:02:00.0 cfg[0x0d]'], [6, 'PHASE[6] dump (stage 1)'],
    ]);
  });

  it('is detected from content even with the file name hidden', async () => {
    const { readHead } = await import('../../src/sources/file-head.js');
    expect(detectFormat(await readHead(SERIAL, 4000), 'x').kind).toBe('ftrace');
  });
});

describe('ftrace parser on malformed input', () => {
  const HEAD = '# tracer: function\n#\n';
  it('reports a truncated event line with its code and line number, and keeps going', async () => {
    const file = tmpFile('trunc.trace', `${HEAD}            init-1       [001] ...1.     2.876598: wd: (pci_bus_write_config_dword+0x0/0x30) bus=0 devfn=0x18 wh\n`
      + '            init-1       [001] ...1.     2.876599: ww: (pci_bus_write_config_word+0x0/0x30) bus=0 devfn=0x18 where=0x4 val=0x7\n');
    const recs = await readRecords(file);
    const skipped = recs.filter((r): r is SkippedRecord => r.t === 'skipped');
    expect(skipped).toEqual([expect.objectContaining({ code: 'FTRACE_BAD_ARGS', line: 3 })]);
    expect(accesses(recs)).toEqual([expect.objectContaining({ off: 4, val: 7, line: 4 })]);
  });

  it('reports garbage inside the trace and a function cut off mid-name', async () => {
    const file = tmpFile('garbage.trace', `${HEAD}\u0000\u0001garbage\n            init-1       [001] .....     2.092352: pci_bus_write_config_wo <-pci_setup_device.cold\n`);
    const codes = (await readRecords(file)).filter((r): r is SkippedRecord => r.t === 'skipped').map((s) => [s.code, s.line]);
    expect(codes).toEqual([['FTRACE_BAD_LINE', 3], ['FTRACE_UNKNOWN_FUNCTION', 4]]);
  });

  it('does not claim a file of another format', () => {
    expect(ftraceFormat.detect(['pci_cfg_read mch 00:00.0 @0x0 -> 0x8086'])).toBe(false);
    expect(ftraceFormat.detect(['hello', 'world'])).toBe(false);
  });

  it('turns the ring buffer header into a lost-events record', async () => {
    const file = tmpFile('lost.trace', '# tracer: nop\n# entries-in-buffer/entries-written: 100/130   #P:2\n');
    expect((await readRecords(file)).filter((r) => r.t === 'lost')).toEqual([expect.objectContaining({ count: 30, reason: 'ftrace-overwritten', line: 2 })]);
  });
});

describe('a console log holding two trace dumps (a kexec run prints one per kernel)', () => {
  it('marks where the second trace starts, and keeps both', async () => {
    // Derived from the real fixture: its trace section twice, as a two-kernel log would have it.
    const { readFileSync } = await import('node:fs');
    const lines = readFileSync(SERIAL, 'utf8').split('\n');
    const begin = lines.findIndex((l) => l.startsWith('=====BEGIN TRACE'));
    const end = lines.findIndex((l) => l.startsWith('=====END TRACE'));
    const trace = lines.slice(begin, end + 1);
    const file = tmpFile('two.log', [...lines.slice(0, begin), ...trace, '[init] kexec', ...trace.map((l) => l.replace('stage=1', 'stage=2'))].join('\n'));
    const recs = await readRecords(file);
    const phases = recs.filter((r) => r.t === 'phase').map((p) => p.t === 'phase' && p.label);
    // The second dump is kernel 2: a boot record (not a phase) with what its console said.
    expect(phases.length).toBe(14);
    const boots = recs.filter((r) => r.t === 'boot');
    expect(boots).toEqual([expect.objectContaining({ t: 'boot', kernel: 2, segment: 'kernel' })]);
    const phaseAt = recs.map((r, i) => (r.t === 'phase' ? i : -1)).filter((i) => i >= 0);
    expect(recs.indexOf(boots[0]!)).toBeGreaterThan(phaseAt[6]!);
    expect(recs.indexOf(boots[0]!)).toBeLessThan(phaseAt[7]!);
    expect(recs.filter((r) => r.t === 'access').length).toBe(2 * 1131);
    expect(recs.filter((r) => r.t === 'skipped')).toEqual([]);
  });
});

describe('the real kexec console log (lab-kexec): kernel 2 as a boot record', async () => {
  const recs = await readRecords(fixture('lab-kexec/serial.log'));
  it('carries what kernel 2\'s own console said: its release, its command line, its trace clock', () => {
    const boots = recs.filter((r) => r.t === 'boot');
    expect(boots).toHaveLength(1);
    const b = boots[0]!;
    expect(b).toMatchObject({ kernel: 2, segment: 'kernel', release: '6.1.0-56-amd64', clock: 'global', line: 20383 });
    // dmesg's `Command line:` is cut by printk's line length, as kernel 1's header has it.
    expect(b.t === 'boot' && b.cmdline?.startsWith('console=ttyS0,115200 panic=-1 quiet loglevel=4 nokaslr trace_clock=global')).toBe(true);
    // No `trace #N` phase any more: the boot is not a phase.
    expect(recs.filter((r) => r.t === 'phase' && r.label.startsWith('trace #'))).toEqual([]);
  });
});

describe('ftrace parser with the sym-offset trace option (lab-e1000e-on: frames func+0xoff/0xsize)', async () => {
  const file = fixture('lab-e1000e-on/serial.log');
  const recs = await readRecords(file);
  const text = readFileSync(file, 'utf8').replace(/\r/g, '');

  it('reads trace markers and function-tracer lines printed with offsets; nothing skipped', () => {
    expect(recs.filter((r) => r.t === 'skipped')).toEqual([]);
    expect(recs.filter((r) => r.t === 'phase')).toHaveLength((text.match(/tracing_mark_write\+0x[0-9a-f]+\/0x[0-9a-f]+: PHASE\[/g) ?? []).length);
  });

  it('merges each function-tracer hit with the kprobe event of the same call, though the probed frame\'s offset differs', () => {
    const hits = (text.match(/: pci_bus_write_config_(byte|word|dword)\+0x0\/0x[0-9a-f]+ <-/g) ?? []).length;
    const kprobeWrites = (text.match(/: (wb|ww|wd): \(/g) ?? []).length;
    const nested = recs.filter((r) => r.t === 'nested').length;
    // Every kprobe-seen write also hit the function tracer: those hits merge, the rest stay early writes.
    expect(nested).toBe(kprobeWrites);
    expect(accesses(recs).filter((a) => a.op === 'w' && !a.known)).toHaveLength(hits - kprobeWrites);
  });

  it('keeps the frames with their offsets, module frames with their module', () => {
    const frames = recs.flatMap((r) => (r.t === 'stack' ? r.frames : []));
    expect(frames.every((f) => /^[\w.]+\+0x[0-9a-f]+\/0x[0-9a-f]+( \[[\w-]+\])?$/.test(f))).toBe(true);
    expect(frames.some((f) => f.endsWith(' [e1000e]'))).toBe(true);
  });
});
