// The old kernel's shutdown from the kernel side: lab-6.12-kexec-handover (6.12's persistent ring
// buffer across kexec, armed by `cfgscope capture --arm-handover` in the first kernel just before
// `kexec -e`, printed by the second; test/fixtures/lab-6.12-kexec-handover/README.md). Without it (lab-6.12-kexec, the same
// scenario) those writes are seen by QEMU only.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crosscheck } from '../../src/crosscheck/crosscheck-accesses.js';
import type { AccessRecord, CaptureRecord } from '../../src/model/records.js';
import { runCli } from '../cli/run-cli.js';
import { readRecords } from '../support/read-records.js';
import { section } from '../support/handover-fixture.js';

const root = new URL('../../', import.meta.url).pathname;
const run = async (name: string) => crosscheck(await readRecords(`${root}replays/lab-${name}/kernel.capture.ndjson`), await readRecords(`${root}test/fixtures/lab-${name}/qemu-trace.log`));
const key = (a: AccessRecord) => `${a.bus}:${a.devfn} @${a.off} = ${a.val}`;
/** Events of the console's HANDOVER section (the instance as the second kernel printed it). */
const dumpEvents = (event: RegExp): number => section('HANDOVER stage=2').split('\n').filter((l) => event.test(l)).length;
const perDevice = (as: AccessRecord[]) => as.reduce<Record<string, number>>((m, a) => ({ ...m, [`${a.bus}:${a.devfn}`]: (m[`${a.bus}:${a.devfn}`] ?? 0) + 1 }), {});

/** The handover trace's records: the console's second trace dump, which the parser starts with a
 *  kernel-side handover boot record (the console said it is the previous boot's ring buffer), up
 *  to kernel 2's own boot record. */
function handoverRecords(records: CaptureRecord[]): CaptureRecord[] {
  const start = records.findIndex((r) => r.t === 'boot' && r.segment === 'handover' && r.side === 'kernel');
  const end = records.findIndex((r) => r.t === 'boot' && r.segment === 'kernel' && r.kernel === 2);
  expect(start).toBeGreaterThan(0);
  expect(end).toBeGreaterThan(start);
  return records.slice(start, end);
}

describe('kexec with the handover armed (lab-6.12-kexec-handover)', async () => {
  const records = await readRecords(`${root}replays/lab-6.12-kexec-handover/kernel.capture.ndjson`);
  const handover = handoverRecords(records);
  const writes = handover.filter((r): r is AccessRecord => r.t === 'access' && r.op === 'w' && r.layer !== 'device');
  const withHandover = crosscheck(records, await readRecords(`${root}test/fixtures/lab-6.12-kexec-handover/qemu-trace.log`));
  const without = await run('6.12-kexec');

  it('holds the first kernel\'s shutdown writes, each with a stack', () => {
    expect(writes.length).toBe(dumpEvents(/: (wb|ww|wd|uwb|uww|uwd|raww): \(/));
    expect(writes.every((w) => w.known && w.stack !== null)).toBe(true);
  });

  it('leaves no device write between the kernels: the handover\'s writes are the device side\'s, per device and in order', () => {
    const between = without.writes.differences.filter((d) => d.reason === 'between-kernels').map((d) => d.access.record);
    expect(between.length).toBe(28);
    expect(withHandover.writes.differences.filter((d) => d.reason === 'between-kernels')).toEqual([]);
    // every handover write paired, in the device side's order
    const partner = new Map(withHandover.writes.pairs.map(([k, d]) => [k, d]));
    const partners = writes.map((w) => partner.get(w));
    expect(partners.every((d) => d !== undefined)).toBe(true);
    const lines = partners.map((d) => d!.line!);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
    expect(writes.map(key)).toEqual(partners.map((d) => key(d!)));
    // and they are what QEMU saw between the kernels in the run without the handover (that run
    // has no 9p shares: the handover run adds two virtio-9p devices, 00:06.0 and 00:07.0, for
    // cfgscope in the guest; their shutdown writes are the handover's own)
    const shares = (w: AccessRecord): boolean => w.bus === 0 && (w.devfn === 0x30 || w.devfn === 0x38);
    expect(perDevice(writes.filter((w) => !shares(w)))).toEqual(perDevice(between));
    expect(writes.filter(shares).length).toBeGreaterThan(0);
  });

  it('names the old kernel\'s module frames from the load addresses it wrote into the buffer', () => {
    const stacks = handover.filter((r) => r.t === 'stack').map((r) => (r.t === 'stack' ? r.frames : []));
    expect(stacks.flat().filter((f) => /^0x[0-9a-f]+$/.test(f))).toEqual([]);
    expect(stacks.some((f) => f.some((x) => /^\[nvme\]\+0x[0-9a-f]+$/.test(x)))).toBe(true);
  });

  it('reports pci_clear_master on the preserved device from the kernel side alone (no QEMU log), with its stack and old value', async () => {
    const r = await runCli('report', `${root}test/fixtures/lab-6.12-kexec-handover/serial.log`, '--policy', 'luo-default', '--preserve', '0000:03:00.0');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('### `pci_clear_master` <- `device_shutdown` <- `kernel_kexec` <- `__do_sys_reboot`');
    expect(r.stdout).toContain('| **VIOLATION** | 0000:03:00.0 (preserved) | `COMMAND` | MASTER 1->0 | 0x0507 -> 0x0503 | 1 | handover, old kernel\'s shutdown, kernel side: PHASE\\[5\\] kexec -e (stage 1) | bus-master (error) |');
  });
});

describe('the handover buffer alone, as docs/handover.md saves it (cat instances/boot_map/trace)', () => {
  it('imports without a skipped line and reports pci_clear_master on the preserved device', async () => {
    const lines = readFileSync(`${root}test/fixtures/lab-6.12-kexec-handover/serial.log`, 'utf8').replace(/\r/g, '').split('\n');
    const text = lines.slice(lines.indexOf('=====BEGIN HANDOVER stage=2=====') + 1, lines.indexOf('=====END HANDOVER stage=2=====')).join('\n');
    const dir = mkdtempSync(join(tmpdir(), 'cfgscope-handover-'));
    writeFileSync(join(dir, 'handover.txt'), `${text}\n`);
    const imp = await runCli('import', join(dir, 'handover.txt'), '-o', join(dir, 'handover.capture.ndjson'));
    expect(imp.code).toBe(0);
    const w = dumpEvents(/: (wb|ww|wd|uwb|uww|uwd|raww): \(/);
    const rd = dumpEvents(/: (rb|rw|rd|urb|urw|urd): \(/);
    expect(imp.stderr).toContain(`${w + rd} accesses (${rd} reads, ${w} writes, 0 with unknown target)`);
    expect(imp.stderr).toContain('0 lines skipped');
    const r = await runCli('report', join(dir, 'handover.capture.ndjson'), '--policy', 'luo-default', '--preserve', '0000:03:00.0');
    expect(r.stdout).toContain('| **VIOLATION** | 0000:03:00.0 (preserved) | `COMMAND` | MASTER 1->0 | 0x0507 -> 0x0503 | 1 |');
  });
});
