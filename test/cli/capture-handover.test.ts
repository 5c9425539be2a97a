// `cfgscope capture --arm-handover` and a capture's start in the kernel after the kexec, through
// the real CLI: the tracefs is a directory holding the lab's real 6.12 handover dump
// (test/support/handover-fixture.ts), the live part the lab's recorded bpftrace output
// (test/support/recorded-bpftrace.mjs), the kernel log the second kernel's real dmesg.
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CaptureRecord } from '../../src/model/records.js';
import { armableTracefs, handoverTracefs, section } from '../support/handover-fixture.js';

const root = new URL('../../', import.meta.url).pathname;
const bin = `${root}bin/cfgscope.js`;
const recorded = `${root}test/support/recorded-bpftrace.mjs`;
const probeOutput = `${root}test/fixtures/bpftrace/probe-phases.txt`;
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
const tmp = (): string => mkdtempSync(join(tmpdir(), 'cfgscope-ho-'));
const records = (f: string): CaptureRecord[] => readFileSync(f, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as CaptureRecord);

describe('capture --arm-handover', () => {
  it('arms, says what it did and the next step, exit 0', () => {
    const t = armableTracefs();
    const r = cli('capture', '--arm-handover', '--tracefs', t, '--marker', 'PHASE[5] kexec -e');
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`armed ${t}/instances/boot_map: tracing_on 1, trace cleared, trace_clock global, options/stacktrace 1, events/pci/enable 1 (1 events: wd)`);
    expect(r.stderr).toContain('the phase marker "PHASE[5] kexec -e"');
    expect(r.stderr).toContain('next: kexec -e');
    expect(readFileSync(join(t, 'instances/boot_map/trace_marker'), 'utf8')).toMatch(/PHASE\[5\] kexec -e\n$/);
  });

  it('--instance names another instance', () => {
    const r = cli('capture', '--arm-handover', '--tracefs', armableTracefs(), '--instance', 'other');
    expect(r.status).toBe(65);
    expect(r.stderr).toMatch(/HANDOVER_NO_INSTANCE: no trace instance other in .*cfgscope boot-args --handover/);
  });

  it('refuses what an arm does not take (usage, 64), a missing -o without it (64), a --tracefs that is not one (65), an instance without the pci events (65)', () => {
    let r = cli('capture', '--arm-handover', '--tracefs', armableTracefs(), '-o', join(tmp(), 'x.ndjson'), '--preserve', '0000:03:00.0');
    expect([r.status, r.stderr]).toEqual([64, expect.stringContaining('HANDOVER_ARM_OPTIONS: --arm-handover arms the trace instance and exits; it takes no --output, --preserve')]);
    r = cli('capture', '--preserve', '0000:03:00.0');
    expect([r.status, r.stderr]).toEqual([64, expect.stringContaining('CAPTURE_NO_OUTPUT')]);
    r = cli('capture', '--arm-handover', '--tracefs', tmp());
    expect([r.status, r.stderr]).toEqual([65, expect.stringContaining('CAPTURE_NO_TRACEFS')]);
    const t = handoverTracefs();
    r = cli('capture', '--arm-handover', '--tracefs', t);
    expect([r.status, r.stderr]).toEqual([65, expect.stringContaining('HANDOVER_NO_EVENTS')]);
  });
});

describe('capture in the kernel after the kexec: the previous boot\'s buffer first', () => {
  const dmesg = join(tmp(), 'dmesg.txt');
  writeFileSync(dmesg, section('DMESG stage=2'));
  /** capture with the recorded bpftrace; SIGINT (Ctrl-C) once bpftrace's part has begun: the
   *  recorded tracer then prints its END output and maps, as bpftrace does, and the capture closes. */
  const run = async (...extra: string[]): Promise<{ status: number | null; stderr: string; out: string }> => {
    const out = join(tmp(), 'k2.ndjson');
    const child = spawn(process.execPath, [bin, 'capture', '-o', out, '--no-preflight', '--tracefs', handoverTracefs(), '--kernel-log', dmesg,
      '--bpftrace', recorded, '--probe', probeOutput, ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    for (let i = 0; i < 1200; i++) {
      let text = '';
      try { text = readFileSync(out, 'utf8'); } catch { text = ''; }
      if (text.includes('"label":"bpftrace attached"')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGINT');
    return { status: await exited, stderr, out };
  };

  it('reads it as the handover into kernel 2 (kernel side, each write with its stack), then kernel 2: its boot record, the live part', async () => {
    const r = await run();
    expect(r.status).toBe(0);
    const recs = records(r.out);
    expect(recs[0]).toMatchObject({ t: 'header', source: { kind: 'bpftrace' } });
    expect(recs[0]!.t === 'header' && recs[0]!.kernel).toBeFalsy(); // kernel 1 is the old kernel: its release is not known here
    expect(recs[1]).toEqual({ t: 'boot', kernel: 2, segment: 'handover', side: 'kernel' });
    const k2 = recs.findIndex((x) => x.t === 'boot' && x.segment === 'kernel');
    expect(recs[k2]).toMatchObject({ kernel: 2, release: expect.any(String), clock: 'mono' });
    const handover = recs.slice(2, k2);
    const writes = handover.filter((x) => x.t === 'access' && x.op === 'w');
    const dumpWrites = section('HANDOVER stage=2').split('\n').filter((l) => /: (wb|ww|wd|uwb|uww|uwd|raww): \(/.test(l)).length;
    expect(writes.length).toBe(dumpWrites);
    expect(writes.every((w) => w.t === 'access' && w.stack !== null)).toBe(true);
    const reads = handover.filter((x) => x.t === 'access' && x.op === 'r').length;
    expect(r.stderr).toContain(`handover read: ${reads + writes.length} accesses (${reads} reads, ${writes.length} writes), ${reads + writes.length} with a stack`);
    expect(r.stderr).toContain('0 lines skipped');
    // the live part is kernel 2's: bpftrace's records come after kernel 2's boot record
    expect(recs.findIndex((x) => x.t === 'phase' && x.label === 'bpftrace attached')).toBeGreaterThan(k2);
  }, 120_000);

  it('report --boot handover --preserve names pci_clear_master from the kernel side; check exits 1', async () => {
    const r = await run();
    const rep = cli('report', r.out, '--boot', 'handover', '--policy', 'luo-default', '--preserve', '0000:03:00.0');
    expect(rep.status).toBe(0);
    expect(rep.stdout).toMatch(/### `pci_clear_master` <- `device_shutdown`/);
    expect(rep.stdout).toMatch(/\| \*\*VIOLATION\*\* \| 0000:03:00\.0 \(preserved\) \| `COMMAND` \| MASTER 1->0 \|/);
    const chk = cli('check', r.out, '--boot', 'handover', '--policy', 'luo-default', '--preserve', '0000:03:00.0');
    expect(chk.status).toBe(1);
  }, 120_000);

  it('--no-handover-trace skips it; without the kernel log saying so it is not read; --handover-trace forces it', async () => {
    const skip = await run('--no-handover-trace');
    expect(skip.status).toBe(0);
    expect(records(skip.out).some((x) => x.t === 'boot')).toBe(false);
    expect(skip.stderr).toContain('handover not read (--no-handover-trace)');
    const quiet = join(tmp(), 'dmesg1.txt');
    writeFileSync(quiet, section('DMESG stage=1'));
    const notSaid = await run('--kernel-log', quiet);
    expect(records(notSaid.out).some((x) => x.t === 'boot')).toBe(false);
    expect(notSaid.stderr).toContain('does not say boot_map\'s buffer is from the previous boot');
    const forced = await run('--kernel-log', quiet, '--handover-trace');
    expect(records(forced.out).filter((x) => x.t === 'boot').map((x) => x.t === 'boot' && x.segment)).toEqual(['handover', 'kernel']);
  }, 120_000);
});
