// `cfgscope boot-args --handover`: the region and persistent trace instance that carried the first
// kernel's shutdown into the second in the 6.12 lab's kexec-handover run. The fragment must be the
// one both kernels of that run booted with (test/fixtures/lab-6.12-kexec-handover/serial.log), and
// the second kernel found the first one's buffer there.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { bootArgs } from '../../src/sources/boot-args.js';
import { runCli } from '../cli/run-cli.js';
import { fixture } from '../support/read-records.js';

const serial = readFileSync(fixture('lab-6.12-kexec-handover/serial.log'), 'utf8').replace(/\r/g, '').split('\n');
const cmdlines = serial.filter((l) => l.startsWith('[init] cmdline: ')).map((l) => l.slice('[init] cmdline: '.length));
const OFFSETS_6_12 = { busNumber: 216, busSysdata: 200, devBus: 16, devDevfn: 56, sysdataDomain: 0 };

describe('boot-args --handover', () => {
  it('is what both kernels of the kexec-handover run booted with, and the second found the first one\'s buffer', () => {
    const ours = bootArgs(OFFSETS_6_12, { readValues: true, handover: true });
    expect(cmdlines).toHaveLength(2);
    expect(cmdlines[0]).toBe(`console=ttyS0,115200 panic=-1 quiet loglevel=4 nokaslr ${ours} lab.scenario=kexec-handover`);
    expect(cmdlines[1]).toBe(`${cmdlines[0]} lab.stage=2`);
    expect(serial.some((l) => l.includes('Ring buffer meta [0] is from previous boot!'))).toBe(true);
  });

  it('appends the region and the instance to the fragment', async () => {
    const r = await runCli('boot-args', '--kernel', '/sys/kernel/btf/vmlinux', '--handover');
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd()).toMatch(/ kprobe_event=\S+ memmap=16M\$0x30000000 trace_instance=boot_map\^traceoff@0x30000000:16M$/);
    const plain = await runCli('boot-args', '--kernel', '/sys/kernel/btf/vmlinux');
    expect(plain.stdout).not.toContain('memmap=');
  });
});
