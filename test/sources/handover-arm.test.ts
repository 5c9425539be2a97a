// `capture --arm-handover`'s writes, on a directory laid out as tracefs is (this host's kernel has
// no persistent instance; the lab's kexec-handover scenario arms a real one in a 6.12 guest and
// test/lab/handover-guest.test.ts reads what it recorded).
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfgscopeError } from '../../src/model/errors.js';
import { armHandover, moduleMarker } from '../../src/sources/handover-arm.js';

/** A tracefs with instances/boot_map as 6.12 makes it for `trace_instance=boot_map^traceoff@ADDR:SIZE`. */
function tracefs(opts: { persistent?: boolean; events?: string[] } = {}): { root: string; dir: string } {
  const root = mkdtempSync(join(tmpdir(), 'cfgscope-tracefs-'));
  const dir = join(root, 'instances', 'boot_map');
  mkdirSync(join(dir, 'options'), { recursive: true });
  writeFileSync(join(root, 'trace'), '');
  writeFileSync(join(dir, 'trace'), '# tracer: nop\n#\n   <...>-1  [000] d..1.   9.000000: wd: (pci_bus_write_config_dword+0x4/0x80) old\n');
  writeFileSync(join(dir, 'trace_marker'), '');
  writeFileSync(join(dir, 'tracing_on'), '0\n');
  writeFileSync(join(dir, 'trace_clock'), '[local] global counter uptime perf mono mono_raw boot tai x86-tsc\n');
  writeFileSync(join(dir, 'options', 'stacktrace'), '0\n');
  if (opts.persistent !== false) writeFileSync(join(dir, 'last_boot_info'), 'text delta:\t0\ndata delta:\t0\n');
  const events = opts.events ?? ['wb', 'ww', 'wd', 'rb', 'rw', 'rd', 'raww'];
  if (events.length > 0) {
    for (const e of events) mkdirSync(join(dir, 'events', 'pci', e), { recursive: true });
    writeFileSync(join(dir, 'events', 'pci', 'enable'), '0\n');
  }
  return { root, dir };
}

// /proc/modules of the lab's first kernel (6.12.118, nokaslr) as the kernel prints it.
const PROC_MODULES = [
  'virtio_net 81920 0 - Live 0xffffffffc0362000',
  'nvme 61440 0 - Live 0xffffffffc02a0000',
  'nvme_core 233472 1 nvme, Live 0xffffffffc02d8000',
  'e1000e 364544 0 - Live 0xffffffffc0188000 (E)',
].join('\n');

function modulesFile(text: string): string {
  const f = join(mkdtempSync(join(tmpdir(), 'cfgscope-modules-')), 'modules');
  writeFileSync(f, `${text}\n`);
  return f;
}

const read = (dir: string, f: string): string => readFileSync(join(dir, f), 'utf8');
const codeOf = (f: () => unknown): string => {
  try { f(); } catch (e) { return e instanceof CfgscopeError ? e.code : `not a CfgscopeError: ${String(e)}`; }
  return 'no error';
};

describe('armHandover', () => {
  it('turns the instance on with the global clock, stacks and the pci events, and writes the module and phase markers in order', () => {
    const { root, dir } = tracefs();
    const r = armHandover({ tracefs: root, instance: 'boot_map', marker: 'PHASE[5] kexec -e (stage 1)', modulesFile: modulesFile(PROC_MODULES) });
    expect(read(dir, 'tracing_on')).toBe('1');
    expect(read(dir, 'trace')).toBe(''); // cleared: the previous records are gone
    expect(read(dir, 'trace_clock')).toBe('global');
    expect(read(dir, 'options/stacktrace')).toBe('1');
    expect(read(dir, 'events/pci/enable')).toBe('1');
    expect(read(dir, 'trace_marker').split('\n')).toEqual([
      'cfgscope-module virtio_net 0xffffffffc0362000 81920',
      'cfgscope-module nvme 0xffffffffc02a0000 61440',
      'cfgscope-module nvme_core 0xffffffffc02d8000 233472',
      'cfgscope-module e1000e 0xffffffffc0188000 364544',
      'PHASE[5] kexec -e (stage 1)',
      '',
    ]);
    expect(r).toMatchObject({ dir, modules: 4, hidden: 0, clock: 'global', tracingOn: '1', enabled: '1', events: ['raww', 'rb', 'rd', 'rw', 'wb', 'wd', 'ww'] });
  });

  it('counts modules whose address /proc/modules hides (kptr_restrict): the parser cannot name their frames', () => {
    const { root } = tracefs();
    const r = armHandover({ tracefs: root, instance: 'boot_map', marker: 'm', modulesFile: modulesFile(PROC_MODULES.replace(/0xffffffffc0[0-9a-f]+/g, '0x0000000000000000')) });
    expect(r).toMatchObject({ modules: 4, hidden: 4 });
  });

  it('a kernel without modules (no /proc/modules) arms with none', () => {
    const { root, dir } = tracefs();
    expect(armHandover({ tracefs: root, instance: 'boot_map', marker: 'm', modulesFile: join(root, 'no-such-file') }).modules).toBe(0);
    expect(read(dir, 'trace_marker')).toBe('m\n');
  });

  it('refuses, writing nothing, when the instance, its fixed region or the pci events are missing', () => {
    const none = tracefs();
    expect(codeOf(() => armHandover({ tracefs: none.root, instance: 'other', marker: 'm' }))).toBe('HANDOVER_NO_INSTANCE');
    const plain = tracefs({ persistent: false });
    expect(codeOf(() => armHandover({ tracefs: plain.root, instance: 'boot_map', marker: 'm' }))).toBe('HANDOVER_NOT_PERSISTENT');
    expect(read(plain.dir, 'tracing_on')).toBe('0\n');
    const noEvents = tracefs({ events: [] });
    expect(codeOf(() => armHandover({ tracefs: noEvents.root, instance: 'boot_map', marker: 'm' }))).toBe('HANDOVER_NO_EVENTS');
    expect(read(noEvents.dir, 'tracing_on')).toBe('0\n');
    expect(read(noEvents.dir, 'trace')).toContain('old');
  });

  it('a write tracefs refuses is HANDOVER_WRITE_FAILED naming the file', () => {
    const { root, dir } = tracefs();
    rmSync(join(dir, 'options', 'stacktrace'));
    mkdirSync(join(dir, 'options', 'stacktrace'));
    let err: unknown;
    try { armHandover({ tracefs: root, instance: 'boot_map', marker: 'm', modulesFile: modulesFile(PROC_MODULES) }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(CfgscopeError);
    expect((err as CfgscopeError).code).toBe('HANDOVER_WRITE_FAILED');
    expect((err as CfgscopeError).location.file).toBe(join(dir, 'options/stacktrace'));
  });
});

describe('moduleMarker', () => {
  it('is the parser\'s `cfgscope-module NAME ADDR SIZE` from a /proc/modules line, with or without taint flags', () => {
    expect(moduleMarker('e1000e 364544 0 - Live 0xffffffffc0188000 (E)')).toEqual({ text: 'cfgscope-module e1000e 0xffffffffc0188000 364544', hidden: false });
    expect(moduleMarker('nvme_core 233472 1 nvme, Live 0x0000000000000000')).toEqual({ text: 'cfgscope-module nvme_core 0x0000000000000000 233472', hidden: true });
    expect(moduleMarker('garbage')).toBeNull();
  });
});
