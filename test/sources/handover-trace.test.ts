// The kernel-2 side of the handover, on the lab's real 6.12 run (test/fixtures/lab-6.12-kexec-handover):
// the second kernel's log and the first kernel's shutdown as the second kernel printed the
// persistent instance (the console's HANDOVER section: `cat instances/boot_map/trace`).
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { CfgscopeError } from '../../src/model/errors.js';
import type { CaptureRecord } from '../../src/model/records.js';
import { StackTable } from '../../src/model/stack-table.js';
import { handoverRecords, probeHandover } from '../../src/sources/handover-trace.js';
import { readKernelLog, readKmsg } from '../../src/sources/kernel-log.js';
import { handoverTracefs, section } from '../support/handover-fixture.js';

const file = (text: string): string => {
  const f = join(mkdtempSync(join(tmpdir(), 'cfgscope-klog-')), 'dmesg.txt');
  writeFileSync(f, text);
  return f;
};

describe('probeHandover', () => {
  const dmesg2 = section('DMESG stage=2');
  const dmesg1 = section('DMESG stage=1');
  const t = handoverTracefs();

  it('reads the instance when the kernel log says its buffer is from the previous boot (the second kernel\'s dmesg)', () => {
    expect(dmesg2).toMatch(/Ring buffer meta \[\d+\] is from previous boot!/);
    const p = probeHandover({ tracefs: t, instance: 'boot_map', force: undefined, kernelLog: () => readKernelLog(file(dmesg2)) });
    expect(p.dir).toBe(join(t, 'instances', 'boot_map'));
    expect(p.reason).toMatch(/says "Ring buffer meta \[\d+\] is from previous boot!": reading/);
  });

  it('does not read it when the log does not say so (the first kernel\'s dmesg), unless forced', () => {
    const log = (): ReturnType<typeof readKernelLog> => readKernelLog(file(dmesg1));
    expect(probeHandover({ tracefs: t, instance: 'boot_map', force: undefined, kernelLog: log })).toMatchObject({ dir: null, reason: expect.stringMatching(/does not say .*--handover-trace reads it anyway/) });
    expect(probeHandover({ tracefs: t, instance: 'boot_map', force: true, kernelLog: log }).dir).toBe(join(t, 'instances', 'boot_map'));
    expect(probeHandover({ tracefs: t, instance: 'boot_map', force: false, kernelLog: () => readKernelLog(file(dmesg2)) }).dir).toBeNull();
  });

  it('an unreadable kernel log is said, and the instance is not read', () => {
    const p = probeHandover({ tracefs: t, instance: 'boot_map', force: undefined, kernelLog: () => ({ text: null, reason: '/dev/kmsg: EPERM' }) });
    expect(p).toEqual({ dir: null, reason: expect.stringContaining('the kernel log is unreadable (/dev/kmsg: EPERM)') });
  });

  it('no instance: no handover, or HANDOVER_NO_INSTANCE when forced', () => {
    const bare = mkdtempSync(join(tmpdir(), 'cfgscope-tracefs3-'));
    expect(probeHandover({ tracefs: bare, instance: 'boot_map', force: undefined, kernelLog: () => readKernelLog(file(dmesg2)) }).dir).toBeNull();
    expect(() => probeHandover({ tracefs: bare, instance: 'boot_map', force: true, kernelLog: () => readKernelLog(file(dmesg2)) }))
      .toThrow(expect.objectContaining({ code: 'HANDOVER_NO_INSTANCE' }) as CfgscopeError);
  });
});

describe('readKmsg', () => {
  it('takes each record\'s message (pri,seq,ts,flags;text), dropping the dictionary lines', () => {
    const f = file('6,1042,5317127,-;Ring buffer meta [0] is from previous boot!\n SUBSYSTEM=x\n');
    expect(readKmsg(f)).toEqual({ text: 'Ring buffer meta [0] is from previous boot!', from: f });
  });
  it('a device it cannot open is said', () => {
    const r = readKmsg('/nonexistent/kmsg');
    expect(r.text).toBeNull();
  });
});

describe('handoverRecords on the real 6.12 dump', async () => {
  const t = handoverTracefs();
  const recs: CaptureRecord[] = await lastValueFrom(handoverRecords(join(t, 'instances', 'boot_map'), { file: 'h', stacks: new StackTable() }, file('console=ttyS0 nokaslr\n')).pipe(toArray()));

  it('is the handover boot (kernel side), the old kernel\'s accesses with stacks, then kernel 2\'s boot record', () => {
    expect(recs[0]).toEqual({ t: 'boot', kernel: 2, segment: 'handover', side: 'kernel' });
    expect(recs.at(-1)).toMatchObject({ t: 'boot', kernel: 2, segment: 'kernel', cmdline: 'console=ttyS0 nokaslr', clock: 'mono' });
    expect(recs.filter((r) => r.t === 'header' || r.t === 'skipped')).toEqual([]);
    const writes = recs.filter((r) => r.t === 'access' && r.op === 'w');
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.every((w) => w.t === 'access' && w.known && w.stack !== null)).toBe(true);
    // as many writes as the dump has write events
    expect(writes.length).toBe(section('HANDOVER stage=2').split('\n').filter((l) => /: (wb|ww|wd|uwb|uww|uwd|raww): \(/.test(l)).length);
    // the module frames named from the cfgscope-module markers
    const frames = recs.flatMap((r) => (r.t === 'stack' ? r.frames : []));
    expect(frames.filter((f) => /^0x[0-9a-f]+$/.test(f))).toEqual([]);
    expect(frames.some((f) => /^\[nvme\]\+0x[0-9a-f]+$/.test(f))).toBe(true);
    expect(recs.some((r) => r.t === 'phase' && /^PHASE\[5\] kexec -e/.test(r.label))).toBe(true);
  });
});
