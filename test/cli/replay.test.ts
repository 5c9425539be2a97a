import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './run-cli.js';

const fixture = (rel: string): string => new URL(`../fixtures/${rel}`, import.meta.url).pathname;

// replay writes its report straight to fd 1 (synchronous, flat memory), so these tests run the
// built CLI as a user does and read its stdout.
const bin = new URL('../../bin/cfgscope.js', import.meta.url).pathname;
const cfgscope = (...args: string[]): { status: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('cfgscope replay on the bundled real capture (the README main job)', () => {
  const r = cfgscope('replay');
  it('exits 0 and prints per-phase, per-device write tables with call sites', () => {
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('kernel 6.1.0-56-amd64, clock global');
    expect(r.stdout).toContain('== PHASE[4] remove+rescan 0000:01:00.0 (t=9.397195) ==');
    // The restore's old value is what sizing left in the BAR: its low bits read 0 up to the BAR's
    // size, which the kernel side does not see: `?`, not the 0xffffffff written.
    expect(r.stdout).toMatch(/\n {4}BASE_ADDRESS_0 +2 {2}0xfe200000 -> 0xffffffff +__pci_read_base\n {41}\? -> 0xfe200000\n/);
    expect(r.stdout).toMatch(/\n {4}COMMAND +1 {2}0x0107 -> 0x0103 +do_pci_disable_device\n/);
  });

  it('shows early-boot writes with the target the device-side log gave them, marked [a]', () => {
    expect(r.stdout).toMatch(/\n {4}BASE_ADDRESS_0 +2 {2}0xfe400000 -> 0xffffffff +__pci_read_base \[a\]\n/);
    expect(r.stdout).toContain('Total: 1139 accesses (694 reads, 445 writes, 0 with unknown target)');
  });

  it('without --attribute, lists early-boot writes without arguments by call site, and marks stale old values', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'cfgscope-')), 'k.ndjson');
    const imp = await runCli('import', fixture('qemu-6.1-q35-basic/serial.log'), '--devices', fixture('qemu-6.1-q35-basic/qemu-trace.log'), '-o', out);
    expect(imp.code).toBe(0);
    const plain = cfgscope('replay', out).stdout;
    expect(plain).toContain('282 writes the early-boot function tracer saw without arguments');
    expect(plain).toMatch(/\n {6}116 {2}pci_bus_write_config_dword +__pci_read_base\n/);
    // Known from the device side's snapshot, but 282 writes with no target happened since: `?`.
    expect(plain).toMatch(/\n {4}BASE_ADDRESS_0 +2 {2}0xfe200000\? -> 0xffffffff +__pci_read_base\n/);
  });

  it('names devices from pci.ids', () => {
    expect(r.stdout).toContain('0000:02:00.0 [1b36:0010] Non-Volatile memory controller: Red Hat, Inc. QEMU NVM Express Controller');
  });

  it('ends with totals that account for every record', () => {
    expect(r.stdout).toContain('154 nested probe hits merged into the access they repeat');
  });
});

describe('cfgscope replay --json', () => {
  it('emits one JSON object per line with the same rows', () => {
    const r = cfgscope('replay', '--json');
    expect(r.status).toBe(0);
    const objs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const phase4 = objs.find((o) => o.type === 'phase' && o.label === 'PHASE[4] remove+rescan 0000:01:00.0') as { deviceWrites: Record<string, unknown>[] };
    expect(phase4.deviceWrites).toContainEqual(expect.objectContaining({
      bdf: '0000:01:00.0', register: 'BASE_ADDRESS_0', count: 2, callSite: '__pci_read_base',
      transitions: [
        { old: '0xfe200000', oldStale: false, new: '0xffffffff', count: 1 },
        { old: null, oldStale: false, new: '0xfe200000', count: 1 },
      ],
    }));
    expect(objs.at(-1)).toMatchObject({ type: 'end', trailer: 'complete', counts: { accesses: 1139 } });
  });
});

describe('bad input through the CLI', () => {
  it('refuses a file in no known format with INPUT_UNKNOWN_FORMAT and its location', async () => {
    const f = join(mkdtempSync(join(tmpdir(), 'cfgscope-')), 'notes.txt');
    writeFileSync(f, 'hello\nworld\n');
    const r = await runCli('import', f, '-o', `${f}.ndjson`);
    expect(r.code).toBe(65);
    expect(r.stderr).toBe(`cfgscope: ${f}:1: INPUT_UNKNOWN_FORMAT: not a format cfgscope reads (packed, capture, bpftrace, qemu, ftrace); see docs/capture-format.md\n`);
  });

  it('reports skipped lines with file:line and fails with --strict', async () => {
    const f = join(mkdtempSync(join(tmpdir(), 'cfgscope-')), 'qemu.log');
    writeFileSync(f, 'pci_cfg_read mch 00:00.0 @0x0 -> 0x8086\npci_cfg_write e1000e 01:00.0 @0x1\n');
    const loose = await runCli('import', f, '-o', `${f}.ndjson`);
    expect(loose.code).toBe(0);
    expect(loose.stderr).toContain(`skipped 1 x QEMU_BAD_LINE\n    ${f}:2: malformed pci_cfg trace line: pci_cfg_write e1000e 01:00.0 @0x1\n`);
    expect((await runCli('import', f, '-o', `${f}.ndjson`, '--strict')).code).toBe(65);
  });

  it('says which file is missing', () => {
    const r = cfgscope('replay', '/nonexistent/capture.ndjson');
    expect(r.status).toBe(65);
    expect(r.stderr).toMatch(/^cfgscope: \/nonexistent\/capture.ndjson: INPUT_UNREADABLE: ENOENT/);
  });
});

describe('identity from sysfs', () => {
  it('imports with --devices sysfs:<fixture> and shows the devices', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'cfgscope-')), 'k.ndjson');
    const r = await runCli('import', fixture('qemu-6.1-q35-basic/serial.log'), '--devices', `sysfs:${fixture('sysfs/devices')}`, '-o', out);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/ [1-9]\d* devices,/);
    expect(execFileSync(process.execPath, [bin, 'replay', out], { encoding: 'utf8' })).toContain('identity from sysfs');
  });
});

describe('replay of real bpftrace output proves, or fails to prove, that nothing was lost', () => {
  it('balances when every event was printed or reported lost', () => {
    expect(cfgscope('replay', 'replays/qemu-6.1-bpftrace/probe-phases.capture.ndjson').stdout)
      .toContain('probe counts reconcile: 505 printed + 0 lost = 505 counted in the kernel: every event is accounted for');
    expect(cfgscope('replay', fixture('bpftrace/probe-lost.txt')).stdout)
      .toContain('probe counts reconcile: 64 printed + 4034 lost = 4098 counted in the kernel');
  });

  it('says so when an event vanished without a Lost line (bpftrace stopped with it buffered)', () => {
    expect(cfgscope('replay', fixture('bpftrace/probe-phases.txt')).stdout)
      .toContain('probe counts do NOT reconcile (short): 503 printed + 0 lost vs 504 counted in the kernel; user, r: 6 printed, 7 counted. Not proven lossless');
  });
});
