// `cfgscope capture --arm-handover`, run in the old kernel just before `kexec -e`: arms the
// persistent trace instance that `boot-args --handover` mapped onto a fixed region (6.12+), so
// that the old kernel's shutdown (device_shutdown -> pci_device_shutdown -> pci_clear_master, the
// drivers' .shutdown, the port services' remove) is recorded there, with stacks, and the next
// kernel finds it ("Ring buffer meta [N] is from previous boot!"). docs/handover.md.
//
// Everything is checked before anything is written, so a refused arm leaves the instance as it was.

import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CfgscopeError } from '../model/errors.js';

export interface ArmOptions {
  tracefs: string;
  instance: string;
  /** The phase marker written last: the handover's records after it are the shutdown. */
  marker: string;
  /** /proc/modules: the loaded modules' load addresses, for naming the old kernel's module frames. */
  modulesFile?: string;
}

export interface ArmResult {
  dir: string;
  /** The `pci` group's events enabled in the instance (wb, ww, ..., raww). */
  events: string[];
  /** Modules written as `cfgscope-module NAME ADDR SIZE` markers. */
  modules: number;
  /** Modules whose address /proc/modules hid (kptr_restrict, not root): their frames stay bare. */
  hidden: number;
  clock: string;
  /** What the instance says after arming: `tracing_on` and `events/pci/enable` (1, or X when mixed). */
  tracingOn: string;
  enabled: string;
}

/** `name size refs deps state 0xaddr [taint]` -> the marker line, or null for an unreadable line. */
export function moduleMarker(line: string): { text: string; hidden: boolean } | null {
  const m = /^([\w-]+) (\d+) \S+ \S+ \S+ (0x[0-9a-f]+)/.exec(line);
  if (!m) return null;
  return { text: `cfgscope-module ${m[1]} ${m[3]} ${m[2]}`, hidden: BigInt(m[3]!) === 0n };
}

/** The instance directory, checked: the error names what is missing and how to get it. */
export function handoverInstance(tracefs: string, instance: string): string {
  const dir = join(tracefs, 'instances', instance);
  const fix = `boot this kernel and the next one with what \`cfgscope boot-args --handover\` prints (and nokaslr)`;
  if (!existsSync(join(dir, 'trace'))) {
    throw new CfgscopeError('HANDOVER_NO_INSTANCE', `no trace instance ${instance} in ${tracefs}/instances: ${fix}`, { file: dir });
  }
  // Only an instance mapped onto a fixed region (`trace_instance=NAME@ADDR:SIZE`) has it; any
  // other instance's buffer is gone after kexec.
  if (!existsSync(join(dir, 'last_boot_info'))) {
    throw new CfgscopeError('HANDOVER_NOT_PERSISTENT', `trace instance ${instance} is not mapped onto a fixed memory region (no last_boot_info): its buffer would not survive kexec; ${fix}`, { file: dir });
  }
  return dir;
}

/** The kprobe events of the `pci` group in the instance, in the order tracefs lists them. */
function pciEvents(dir: string): string[] {
  const group = join(dir, 'events', 'pci');
  if (!existsSync(join(group, 'enable'))) return [];
  return readdirSync(group).filter((e) => statSync(join(group, e)).isDirectory()).sort();
}

export function armHandover(opts: ArmOptions): ArmResult {
  const dir = handoverInstance(opts.tracefs, opts.instance);
  const events = pciEvents(dir);
  if (events.length === 0) {
    throw new CfgscopeError('HANDOVER_NO_EVENTS', `no kprobe events of the pci group in ${dir}/events: this kernel was booted without the kprobe_event= of \`cfgscope boot-args --handover\` (the next kernel needs the same events, in the same order, to decode the buffer)`, { file: join(dir, 'events') });
  }
  const modulesFile = opts.modulesFile ?? '/proc/modules';
  let modulesText = '';
  try {
    modulesText = readFileSync(modulesFile, 'utf8');
  } catch (e) {
    // No /proc/modules: a kernel built without module support, nothing to name.
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new CfgscopeError('INPUT_UNREADABLE', (e as Error).message, { file: modulesFile });
  }
  const markers = modulesText.split('\n').filter((l) => l !== '').map(moduleMarker).filter((m) => m !== null);

  const put = (file: string, text: string, flag = 'w'): void => {
    try {
      writeFileSync(join(dir, file), text, { flag });
    } catch (e) {
      throw new CfgscopeError('HANDOVER_WRITE_FAILED', `${(e as Error).message}${(e as NodeJS.ErrnoException).code === 'EACCES' ? ' (arming needs root)' : ''}`, { file: join(dir, file) });
    }
  };
  put('tracing_on', '0');
  // Setting the clock resets the buffer too; the explicit clear empties it whatever the clock was.
  put('trace_clock', 'global');
  put('options/stacktrace', '1');
  put('trace', '');
  // Markers are dropped while the instance is off: on first, then markers, then the events, so
  // the instance holds the module addresses, the phase marker, and after it the shutdown alone.
  put('tracing_on', '1');
  for (const m of markers) put('trace_marker', `${m.text}\n`, 'a');
  put('trace_marker', `${opts.marker}\n`, 'a');
  put('events/pci/enable', '1');
  const read = (file: string): string => readFileSync(join(dir, file), 'utf8').trim();
  // tracefs lists the clocks with the current one in brackets: `local [global] counter ...`.
  const clocks = read('trace_clock');
  return {
    dir, events, modules: markers.length, hidden: markers.filter((m) => m.hidden).length,
    clock: /\[(\w+)\]/.exec(clocks)?.[1] ?? clocks, tracingOn: read('tracing_on'), enabled: read('events/pci/enable'),
  };
}
