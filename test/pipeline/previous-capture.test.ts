// `--previous-capture`: on a real machine the old kernel and the new one each have their own
// capture. The lab's kexec runs, imported from the kernel side only (no QEMU log), are split into
// those two; the second one's handover and kernel-2 writes get their old values from the first
// one's last known state, marked as such, byte by byte, and only for the same device.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { TestClient } from '../server/test-client.js';
import { splitCapture } from './split-capture.js';

const root = new URL('../../', import.meta.url).pathname;
/** The built CLI as a process: check writes to file descriptor 1 directly. */
function runCli(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [`${root}bin/cfgscope.js`, ...args], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const PRESERVE = ['--preserve', '0000:03:00.0', '--preserve', '0000:00:05.0'];
const POLICY = ['--policy', 'luo-default', ...PRESERVE];
/** Every write to the two devices is a finding: each old value is on one. */
const STRICT = ['--policy', 'luo-strict', ...PRESERVE];

interface F { type: string; device: { bdf: string }; register: string; old: number | null; new: number | null; line: number; oldFrom?: { capture: string; source: string | null; line: number | null }; boot: { kernel: number; handover?: boolean } }
const findings = (out: string): F[] => out.trim().split('\n').map((l) => JSON.parse(l) as F).filter((f) => f.type === 'finding');

/** `check --json`: exit 1 (violations found) with findings, or the run's stderr in the failure. */
async function check(...args: string[]): Promise<{ found: F[]; stderr: string }> {
  const r = runCli('check', ...args, '--json');
  expect(r.code, r.stderr).toBe(1);
  return { found: findings(r.stdout), stderr: r.stderr };
}

/** The kernel side alone: the lab's serial console, imported without --devices/--attribute. */
async function kernelSide(lab: string, dir: string): Promise<string> {
  const out = join(dir, `${lab}.capture.ndjson`);
  const r = runCli('import', `test/fixtures/${lab}/serial.log`, '-o', out);
  expect(r.code, r.stderr).toBe(0);
  return out;
}

describe('--previous-capture on the 6.12 kexec run with the handover (kernel side only)', () => {
  let dir: string;
  let whole: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cfgscope-previous-'));
    whole = await kernelSide('lab-6.12-kexec-handover', dir);
  }, 60_000);

  it('old values the second capture never saw ("?" without it) come from the first one, with its line', async () => {
    const { old, next } = splitCapture(whole, mkdtempSync(join(dir, 'a-')));
    // Kernel 2 rewrites the root port's windows before it has read them (pci_setup_bridge):
    // without kernel 1's capture, old values unknown and even the register names (its header
    // type was never read: offsets only).
    const before = await check(next, ...STRICT);
    const LINES = [32601, 32691, 32721, 32751, 32781, 32841];
    const windows = (fs: F[]): F[] => fs.filter((f) => f.device.bdf === '0000:00:05.0' && f.boot.kernel === 2 && LINES.includes(f.line));
    expect(windows(before.found).map((f) => [f.register, f.old])).toEqual([['0x30', null], ['0x20', null], ['0x2c', null], ['0x24', null], ['0x28', null], ['0x3e', null]]);
    const after = await check(next, ...STRICT, '--previous-capture', old);
    const carried = windows(after.found);
    expect(carried.map((f) => [f.register, f.old])).toEqual([
      ['IO_BASE_UPPER16', 0], ['MEMORY_BASE', 0xfdf0fde0], ['PREF_LIMIT_UPPER32', 0], ['PREF_MEMORY_BASE', 0xfe71fe61], ['PREF_BASE_UPPER32', 0], ['BRIDGE_CONTROL', 2],
    ]);
    for (const f of carried) {
      expect(f.oldFrom).toMatchObject({ capture: old, source: 'serial.log' });
      // Kernel 1's lines: before the handover starts in the console log (line 22375).
      expect(f.oldFrom!.line).toBeGreaterThan(0);
      expect(f.oldFrom!.line).toBeLessThan(22375);
    }
    // Values the second capture read itself are not marked: the handover's Bus Master clear on
    // the preserved device read COMMAND first (6.12's return probes carry read values).
    const clear = after.found.find((f) => f.device.bdf === '0000:03:00.0' && f.boot.handover === true && f.register === 'COMMAND')!;
    expect(clear).toMatchObject({ old: 0x0507, new: 0x0503 });
    expect(clear.oldFrom).toBeUndefined();
    expect(after.found.filter((f) => f.old === null)).toEqual([]);
    expect(after.stderr).toContain(`old values from the old kernel's capture ${old}: 6 devices`);
  }, 60_000);

  it('the report, its email and check\'s text say where the old value came from; the summary counts the unknown ones', async () => {
    const { old, next } = splitCapture(whole, mkdtempSync(join(dir, 'b-')));
    const md0 = runCli('report', next, ...STRICT).stdout;
    expect(md0).toMatch(/old value unknown for [1-9]\d* of \d+\./);
    const md = runCli('report', next, ...STRICT, '--previous-capture', old).stdout;
    expect(md).toMatch(/old value unknown for 0 of \d+, from the old kernel's capture for [1-9]\d*\./);
    expect(md).toMatch(/\| `BRIDGE_CONTROL` \| [^|]*\| 0x0002\?? -> 0x0002 \(protected bits kept; old value from the old kernel's capture kernel1\.capture\.ndjson, serial\.log:\d+\)/);
    // The root port's ids and class as the old kernel read them (kernel 2 reads none of them first).
    expect(md).toMatch(/\| 0000:00:05\.0 \| 1b36:000c \| preserved \| +\| 0x060400 \|/);
    const email = runCli('report', next, ...STRICT, '--previous-capture', old, '--format', 'email').stdout;
    expect(email.replace(/\s+/g, ' ')).toMatch(/old value from the old kernel's capture kernel1\.capture\.ndjson, serial\.log:\d+/);
    for (const l of email.split('\n')) expect(l.length).toBeLessThanOrEqual(72);
    const text = runCli('check', next, ...STRICT, '--previous-capture', old).stdout;
    expect(text).toMatch(/IO_BASE_UPPER16 +0x00000000\?? -> 0x0000ffff\n +\(kernel 2 \(after kexec\): boot, serial\.log:32601\)\n +\(old value from the old kernel's capture kernel1\.capture\.ndjson, serial\.log:\d+\)/);
  }, 60_000);

  it('bytes the old kernel never saw stay unknown', async () => {
    // The first capture without its accesses to the root port's BRIDGE_CONTROL (0x3e, 0x3f).
    const { old, next } = splitCapture(whole, mkdtempSync(join(dir, 'c-')), {
      old: (r) => (r.t === 'access' && r.bus === 0 && r.devfn === 0x28 && r.off !== null && r.off + r.size > 0x3e && r.off < 0x40 ? null : r),
    });
    const { found } = await check(next, ...STRICT, '--previous-capture', old);
    const bc = found.find((f) => f.device.bdf === '0000:00:05.0' && f.line === 32841)!;
    expect(bc).toMatchObject({ register: 'BRIDGE_CONTROL', old: null, change: 'unknown-old' });
    expect(bc.oldFrom).toBeUndefined();
    // Its other registers are still carried.
    expect(found.find((f) => f.device.bdf === '0000:00:05.0' && f.line === 32781)).toMatchObject({ register: 'PREF_BASE_UPPER32', old: 0 });
  }, 60_000);

  it('another device at the same address is not carried, and said (PREVIOUS_CAPTURE_MISMATCH)', async () => {
    const { old, next } = splitCapture(whole, mkdtempSync(join(dir, 'd-')), {
      nextFirst: [{ t: 'device', bdf: '0000:00:05.0', vendor: 0x8086, device: 0x7110, from: 'sysfs' }],
    });
    const { found, stderr } = await check(next, ...STRICT, '--previous-capture', old);
    expect(stderr).toContain(`${old}: PREVIOUS_CAPTURE_MISMATCH: 0000:00:05.0: the previous capture's device is 1b36:000c, but this capture's device record names 8086:7110 there: its old values are not carried`);
    expect(found.filter((f) => f.oldFrom !== undefined)).toEqual([]);
    expect(found.find((f) => f.device.bdf === '0000:00:05.0' && f.line === 32841)).toMatchObject({ old: null, change: 'unknown-old' });
    expect(stderr).toContain(`old values from the old kernel's capture ${old}: 5 devices`);
  }, 60_000);

  it('serve: a real client gets the findings with their carried old values (oldFrom)', async () => {
    const { old, next } = splitCapture(whole, mkdtempSync(join(dir, 'f-')));
    const child = spawn(process.execPath, [`${root}bin/cfgscope.js`, 'serve', next, ...STRICT, '--previous-capture', old, '--listen', '127.0.0.1:0', '--fast'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const exit = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /listening on (http:\/\/[^/\s]+)\//.exec(stderr);
        if (m) resolve(m[1]!);
      });
      void exit.then(() => reject(new Error(`serve exited: ${stderr}`)));
    });
    try {
      const c = new TestClient(`${url.replace('http', 'ws')}/ws`);
      await c.next((m) => m.type === 'hello');
      c.send({ type: 'subscribe' });
      await c.next((m) => m.type === 'end');
      const served = c.events().filter((m) => m.type === 'finding') as unknown as (F & { seq: number })[];
      const { found } = await check(next, ...STRICT, '--previous-capture', old);
      expect(served.map(({ seq: _s, type: _t, ...f }) => [f.line, f.register, f.old, f.oldFrom ?? null]))
        .toEqual(found.map((f) => [f.line, f.register, f.old, f.oldFrom ?? null]));
      expect(served.filter((f) => f.oldFrom !== undefined).length).toBe(6);
      expect(stderr).toContain(`old values from the old kernel's capture ${old}: 6 devices`);
      await c.close();
    } finally {
      child.kill('SIGTERM');
      await exit;
    }
  }, 60_000);

  it('a read of other ids at the address drops what was carried there', async () => {
    // The old kernel's capture says 03:00.0 was an e1000e (8086:10d3): kernel 2 reads 1af4:1041.
    const { old, next } = splitCapture(whole, mkdtempSync(join(dir, 'e-')), {
      old: (r) => (r.t === 'access' && r.op === 'r' && r.bus === 3 && r.devfn === 0 && r.off === 0 && r.size === 4 && r.val !== null ? { ...r, val: 0x10d38086 } : r),
    });
    const run = await check(next, ...STRICT, '--previous-capture', old);
    expect(run.stderr).toMatch(/PREVIOUS_CAPTURE_MISMATCH: 0000:03:00\.0: the previous capture's device is 8086:10d3, but this capture read 0x10411af4 at offset 0 \(line \d+\)/);
  }, 60_000);
});

describe('--previous-capture on the 6.1 kexec run (kernel side only: reads carry no value)', () => {
  it('the old kernel never read any device\'s ids: nothing is carried, each said (PREVIOUS_CAPTURE_NO_IDS)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfgscope-previous-61-'));
    const whole = await kernelSide('lab-kexec', dir);
    const { old, next } = splitCapture(whole, dir);
    const before = runCli('report', next, ...POLICY);
    const after = runCli('report', next, ...POLICY, '--previous-capture', old);
    const summary = (md: string): string => md.split('\n').find((l) => l.includes('old value unknown for'))!;
    expect(summary(after.stdout)).toBe(summary(before.stdout));
    expect(after.stdout).toContain(`old values from the old kernel's capture ${old}: 0 devices, 0 bytes`);
    expect(after.stderr).toMatch(/PREVIOUS_CAPTURE_NO_IDS: 0000:03:00\.0: the previous capture never read its vendor and device id/);
  }, 60_000);
});
