// `--previous-capture`: on a real machine the old kernel and the new one each have their own
// capture. The lab's 6.12 kexec run made exactly that pair in the guest: kernel 1's `cfgscope
// capture` (complete, stopped before `kexec -e`) and kernel 2's (the handover read from the
// persistent ring buffer, then kernel 2's boot and live part). Kernel 2's writes get their old
// values from kernel 1's last known state, marked as such, byte by byte, only for the same device.
// What is expected is computed here from kernel 1's records, not taken from the code under test.
// The 6.1 run (reads without values) is split from its console log: a capture with no ids read.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import type { AccessRecord, CaptureRecord } from '../../src/model/records.js';
import { TestClient } from '../server/test-client.js';
import { rewriteCapture, splitCapture } from './split-capture.js';

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

const GUEST = 'test/fixtures/lab-6.12-kexec-handover/guest';
const KERNEL1 = `${GUEST}/kernel1.capture.ndjson`;
const KERNEL2 = `${GUEST}/kernel2.capture.ndjson`;
const ROOT_PORT = { bus: 0, devfn: 0x28 };

const accessesOf = (file: string): AccessRecord[] => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '')
  .map((l) => JSON.parse(l) as CaptureRecord).filter((r): r is AccessRecord => r.t === 'access');

/** Per byte of one device, the last access of kernel 1 with a value that covered it (read or write). */
function lastBytes(file: string, at: { bus: number; devfn: number }): Map<number, { value: number; line: number; op: string }> {
  const bytes = new Map<number, { value: number; line: number; op: string }>();
  for (const r of accessesOf(file)) {
    if (r.bus !== at.bus || r.devfn !== at.devfn || r.off === null || r.val === null) continue;
    for (let i = 0; i < r.size; i++) bytes.set(r.off + i, { value: Math.floor(r.val / 2 ** (8 * i)) & 0xff, line: r.line!, op: r.op });
  }
  return bytes;
}

describe('--previous-capture on the 6.12 kexec run: the guest\'s own two captures', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'cfgscope-previous-')); });

  it('old values kernel 2 never saw ("?" without it) are kernel 1\'s last values of those bytes, citing kernel 1\'s record', async () => {
    const before = await check(KERNEL2, ...STRICT);
    const after = await check(KERNEL2, ...STRICT, '--previous-capture', KERNEL1);
    // The same writes are judged either way; only what is known of their old values (and, for the
    // root port, whose header type kernel 2 has not read yet, the register names) differs.
    expect(after.found.map((f) => f.line)).toEqual(before.found.map((f) => f.line));
    const unknown = before.found.filter((f) => f.old === null);
    // Kernel 2 rewrites the root port's windows (pci_setup_bridge) before it has read them.
    expect(unknown.length).toBeGreaterThan(0);
    const carried = after.found.filter((f) => f.oldFrom !== undefined);
    expect(carried.map((f) => f.line)).toEqual(unknown.map((f) => f.line));
    const k2 = accessesOf(KERNEL2);
    const k1 = accessesOf(KERNEL1);
    const last = lastBytes(KERNEL1, ROOT_PORT);
    for (const f of carried) {
      expect(f.device.bdf).toBe('0000:00:05.0');
      expect(f.boot.kernel).toBe(2);
      const w = k2.find((r) => r.line === f.line)!;
      expect(w).toMatchObject({ op: 'w', ...ROOT_PORT });
      let value = 0;
      let line = -1;
      for (let i = 0; i < w.size; i++) {
        const b = last.get(w.off! + i)!;
        expect(b, `kernel 1 never saw byte 0x${(w.off! + i).toString(16)}`).toBeDefined();
        // Kernel 1 read these bytes last: what the device held, with no write semantics in between.
        expect(b.op).toBe('r');
        value += b.value * 2 ** (8 * i);
        line = Math.max(line, b.line);
      }
      expect(f.old, `${f.register} (line ${f.line})`).toBe(value);
      expect(f.oldFrom).toEqual({ capture: KERNEL1, source: 'bpftrace:stdout', line });
      // The line cited is kernel 1's record, on the same device.
      expect(k1.find((r) => r.line === line)).toMatchObject({ op: 'r', ...ROOT_PORT });
    }
    // Values kernel 2 read itself are not marked: the handover's Bus Master clear on the
    // preserved device read COMMAND first (6.12's return probes carry read values).
    const clear = after.found.find((f) => f.device.bdf === '0000:03:00.0' && f.boot.handover === true && f.register === 'COMMAND')!;
    expect(clear).toMatchObject({ old: 0x0507, new: 0x0503 });
    expect(clear.oldFrom).toBeUndefined();
    expect(after.found.filter((f) => f.old === null)).toEqual([]);
    expect(after.stderr).toMatch(new RegExp(`old values from the old kernel's capture ${KERNEL1}: [1-9]\\d* devices`));
  }, 60_000);

  it('the report, its email and check\'s text say where the old value came from; the summary counts the unknown ones', async () => {
    const { found } = await check(KERNEL2, ...STRICT, '--previous-capture', KERNEL1);
    const carried = found.filter((f) => f.oldFrom !== undefined).length;
    const md0 = runCli('report', KERNEL2, ...STRICT).stdout;
    expect(md0).toMatch(new RegExp(`old value unknown for ${carried} of \\d+\\.`));
    const md = runCli('report', KERNEL2, ...STRICT, '--previous-capture', KERNEL1).stdout;
    expect(md).toMatch(new RegExp(`old value unknown for 0 of \\d+, from the old kernel's capture for ${carried}\\.`));
    expect(md).toMatch(/\| `BRIDGE_CONTROL` \| [^|]*\| 0x0002\?? -> 0x0002 \(protected bits kept; old value from the old kernel's capture kernel1\.capture\.ndjson, bpftrace:stdout:\d+\)/);
    // The root port's ids and class as the old kernel read them (kernel 2 reads none of them first).
    expect(md).toMatch(/\| 0000:00:05\.0 \| 1b36:000c \| preserved \| +\| 0x060400 \|/);
    const email = runCli('report', KERNEL2, ...STRICT, '--previous-capture', KERNEL1, '--format', 'email').stdout;
    expect(email.replace(/\s+/g, ' ')).toMatch(/old value from the old kernel's capture kernel1\.capture\.ndjson, bpftrace:stdout:\d+/);
    for (const l of email.split('\n')) expect(l.length).toBeLessThanOrEqual(72);
    const io = found.find((f) => f.register === 'IO_BASE_UPPER16' && f.oldFrom !== undefined)!;
    const text = runCli('check', KERNEL2, ...STRICT, '--previous-capture', KERNEL1).stdout;
    expect(text).toContain(`IO_BASE_UPPER16  0x00000000? -> 0x0000ffff\n`);
    expect(text).toMatch(new RegExp(`\\(kernel 2 \\(after kexec\\): boot, bpftrace:stdout:${io.line}\\)\\n +\\(old value from the old kernel's capture kernel1\\.capture\\.ndjson, bpftrace:stdout:${io.oldFrom!.line}\\)`));
  }, 60_000);

  it('bytes the old kernel never saw stay unknown', async () => {
    // Kernel 1's capture without its accesses to the root port's BRIDGE_CONTROL (0x3e, 0x3f).
    const old = rewriteCapture(KERNEL1, join(dir, 'kernel1-no-bc.capture.ndjson'), {
      edit: (r) => (r.t === 'access' && r.bus === 0 && r.devfn === 0x28 && r.off !== null && r.off + r.size > 0x3e && r.off < 0x40 ? null : r),
    });
    const { found } = await check(KERNEL2, ...STRICT, '--previous-capture', old);
    const bc = found.filter((f) => f.device.bdf === '0000:00:05.0' && f.boot.kernel === 2 && f.register === 'BRIDGE_CONTROL');
    expect(bc.length).toBeGreaterThan(0);
    expect(bc[0]).toMatchObject({ old: null, change: 'unknown-old' });
    expect(bc[0]!.oldFrom).toBeUndefined();
    // Its other registers are still carried.
    expect(found.find((f) => f.register === 'PREF_BASE_UPPER32' && f.boot.kernel === 2)).toMatchObject({ old: 0, oldFrom: { capture: old } });
  }, 60_000);

  it('another device at the same address is not carried, and said (PREVIOUS_CAPTURE_MISMATCH)', async () => {
    const next = rewriteCapture(KERNEL2, join(dir, 'kernel2-other.capture.ndjson'), {
      first: [{ t: 'device', bdf: '0000:00:05.0', vendor: 0x8086, device: 0x7110, from: 'sysfs' }],
    });
    const whole = await check(KERNEL2, ...STRICT, '--previous-capture', KERNEL1);
    const devices = Number(/old kernel's capture [^:]+: (\d+) devices/.exec(whole.stderr)![1]);
    const bcLine = whole.found.find((f) => f.register === 'BRIDGE_CONTROL' && f.oldFrom !== undefined)!.line;
    const { found, stderr } = await check(next, ...STRICT, '--previous-capture', KERNEL1);
    expect(stderr).toContain(`${KERNEL1}: PREVIOUS_CAPTURE_MISMATCH: 0000:00:05.0: the previous capture's device is 1b36:000c, but this capture's device record names 8086:7110 there: its old values are not carried`);
    expect(found.filter((f) => f.oldFrom !== undefined)).toEqual([]);
    expect(found.find((f) => f.device.bdf === '0000:00:05.0' && f.line === bcLine)).toMatchObject({ old: null, change: 'unknown-old' });
    expect(stderr).toContain(`old values from the old kernel's capture ${KERNEL1}: ${devices - 1} devices`);
  }, 60_000);

  it('serve: a real client gets the findings with their carried old values (oldFrom)', async () => {
    const child = spawn(process.execPath, [`${root}bin/cfgscope.js`, 'serve', KERNEL2, ...STRICT, '--previous-capture', KERNEL1, '--listen', '127.0.0.1:0', '--fast'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
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
      const { found, stderr: checked } = await check(KERNEL2, ...STRICT, '--previous-capture', KERNEL1);
      expect(served.map(({ seq: _s, type: _t, ...f }) => [f.line, f.register, f.old, f.oldFrom ?? null]))
        .toEqual(found.map((f) => [f.line, f.register, f.old, f.oldFrom ?? null]));
      expect(served.filter((f) => f.oldFrom !== undefined).length).toBeGreaterThan(0);
      const said = /old values from the old kernel's capture [^\n]*/.exec(checked)![0];
      expect(stderr).toContain(said);
      await c.close();
    } finally {
      child.kill('SIGTERM');
      await exit;
    }
  }, 60_000);

  it('a read of other ids at the address drops what was carried there', async () => {
    // Kernel 1's capture says 03:00.0 was an e1000e (8086:10d3): kernel 2 reads 1af4:1041.
    const old = rewriteCapture(KERNEL1, join(dir, 'kernel1-e1000e.capture.ndjson'), {
      edit: (r) => (r.t === 'access' && r.op === 'r' && r.bus === 3 && r.devfn === 0 && r.off === 0 && r.size === 4 && r.val !== null ? { ...r, val: 0x10d38086 } : r),
    });
    const run = await check(KERNEL2, ...STRICT, '--previous-capture', old);
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
