// `cfgscope boot-args` on kernels whose return probes fetch entry arguments (6.10+): return probes
// on the read accessors that record the value read and the return code. The events it makes for
// 6.12's offsets are exactly those the 6.12 lab kernel accepted and listed in its kprobe_events
// (test/fixtures/lab-6.12-basic/serial.log); the choice follows the BTF (struct probe_entry_arg)
// unless forced.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kprobeEvents } from '../../src/sources/boot-args.js';
import { runCli } from '../cli/run-cli.js';
import { fixture } from '../support/read-records.js';

const HOST_BTF = '/sys/kernel/btf/vmlinux';
/** Why the tests on this host's BTF cannot run here, or null: they need a kernel of 6.10+ whose
 *  BTF has struct probe_entry_arg (this project's machines run 6.18). */
const hostBtfMissing = ((): string | null => {
  if (!existsSync(HOST_BTF)) return `no ${HOST_BTF} on this machine (CONFIG_DEBUG_INFO_BTF)`;
  return readFileSync(HOST_BTF).includes(Buffer.from('\0probe_entry_arg\0')) ? null : `this machine's kernel BTF has no struct probe_entry_arg (a kernel before 6.10)`;
})();
const OFFSETS_6_12 = { busNumber: 216, busSysdata: 200, devBus: 16, devDevfn: 56, sysdataDomain: 0 };

/** The kernel's kprobe_events listing, as the 6.12 guest printed it at /init. */
function listedEvents(): string[] {
  const lines = readFileSync(fixture('lab-6.12-basic/serial.log'), 'utf8').replace(/\r/g, '').split('\n');
  const start = lines.indexOf('[init] kprobe_events:') + 1;
  const end = lines.findIndex((l, i) => i >= start && l.startsWith('[init]'));
  return lines.slice(start, end);
}
/** `r:pci/rd,fn,a=b,...` (the boot parameter's form) as tracefs lists it: `r10:pci/rd fn a=b ...`
 *  (a return probe shows its maxactive, 10 by default). */
const asListed = (def: string): string => def.replace(/^r:/, 'r10:').replaceAll(',', ' ');

describe('boot-args read values', () => {
  it('are the return probes the 6.12 kernel accepted at boot, byte for byte', () => {
    const ours = kprobeEvents(OFFSETS_6_12, { readValues: true }).map(asListed);
    expect(listedEvents()).toEqual(ours);
    expect(ours.filter((e) => e.startsWith('r10:'))).toHaveLength(6);
  });

  it('are chosen from the BTF: this host\'s kernel has struct probe_entry_arg', async (ctx) => {
    if (hostBtfMissing !== null) ctx.skip(hostBtfMissing);
    const r = await runCli('boot-args', '--kernel', HOST_BTF);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('r:pci/rd,pci_bus_read_config_dword,bus=+');
    expect(r.stdout).toContain(',val=+0($arg4):x32,ret=$retval:s32;');
    expect(r.stderr).toContain('decided from the kernel\'s BTF, which has struct probe_entry_arg');
    const off = await runCli('boot-args', '--kernel', HOST_BTF, '--no-read-values');
    expect(off.stdout).toContain('p:pci/rd,pci_bus_read_config_dword,bus=+');
    expect(off.stdout).not.toContain('r:pci/');
  });

  it('are left out for a kernel without it (6.1), unless forced', async (ctx) => {
    if (hostBtfMissing !== null) ctx.skip(hostBtfMissing);
    // The host's BTF with that one struct name changed: a kernel from before 6.10 in this respect.
    const btf = readFileSync(HOST_BTF);
    const at = btf.indexOf(Buffer.from('\0probe_entry_arg\0'));
    expect(at).toBeGreaterThan(0);
    btf.write('X', at + 1, 'latin1');
    const file = join(mkdtempSync(join(tmpdir(), 'cfgscope-btf-')), 'vmlinux.btf');
    writeFileSync(file, btf);
    const r = await runCli('boot-args', '--kernel', file);
    expect(r.stdout).toContain('p:pci/rd,pci_bus_read_config_dword,bus=+');
    expect(r.stdout).not.toContain('r:pci/');
    expect(r.stderr).toContain('lacks struct probe_entry_arg');
    const forced = await runCli('boot-args', '--kernel', file, '--read-values');
    expect(forced.stdout).toContain('r:pci/rb,pci_bus_read_config_byte,');
    expect(forced.stderr).toContain('forced by --read-values');
  });
});
