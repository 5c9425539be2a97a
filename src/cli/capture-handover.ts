// `capture`'s handover options (Linux 6.12+, docs/handover.md): `--arm-handover`, a mode of its
// own that arms the persistent trace instance and exits (run just before `kexec -e`, by hand or
// from a shutdown script), and, at an ordinary capture's start in the next kernel, reading that
// instance's buffer first when the kernel says it is the previous boot's.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { CfgscopeError, UsageError } from '../model/errors.js';
import { HANDOVER_INSTANCE } from '../sources/boot-args.js';
import { armHandover } from '../sources/handover-arm.js';
import { probeHandover, type HandoverProbe } from '../sources/handover-trace.js';
import { readKernelLog } from '../sources/kernel-log.js';
import type { CliIo } from './cli-types.js';

export interface HandoverFlags {
  armHandover?: boolean;
  instance: string;
  marker: string;
  tracefs?: string;
  /** true/false when the user decided, undefined: the kernel log decides. */
  handoverTrace?: boolean;
  kernelLog?: string;
}

export const DEFAULT_MARKER = 'shutdown before kexec';

export function addHandoverOptions(cmd: Command): Command {
  return cmd
    .option('--arm-handover', 'arm the persistent trace instance for the kexec that follows, then exit (Linux 6.12+; run it just before kexec -e; needs boot-args --handover on the command line): it records the old kernel\'s shutdown, with stacks, for the next kernel\'s capture')
    .option('--instance <name>', `the persistent trace instance of the handover (boot-args --handover maps ${HANDOVER_INSTANCE})`, HANDOVER_INSTANCE)
    .option('--marker <text>', '--arm-handover: the phase marker written into the instance before the shutdown', DEFAULT_MARKER)
    .option('--tracefs <dir>', 'where tracefs is mounted (default: /sys/kernel/tracing, else /sys/kernel/debug/tracing)')
    .option('--handover-trace', 'read the instance\'s buffer first as the previous boot\'s shutdown even when the kernel log does not say it is from the previous boot')
    .option('--no-handover-trace', 'do not read the instance\'s buffer, even when the kernel log says it is from the previous boot')
    .option('--kernel-log <file>', 'a saved kernel log (dmesg) to look in for "Ring buffer meta [N] is from previous boot!" instead of /dev/kmsg or dmesg');
}

/** tracefs: --tracefs as given (it must hold `trace`), else where a kernel mounts it. */
export function findTracefs(given: string | undefined): string | null {
  if (given !== undefined) {
    if (!existsSync(join(given, 'trace'))) throw new CfgscopeError('CAPTURE_NO_TRACEFS', `--tracefs ${given} is not a mounted tracefs (no ${join(given, 'trace')})`, { file: given });
    return given;
  }
  return ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'].find((p) => existsSync(join(p, 'trace'))) ?? null;
}

/** Options an arm takes; any other one given is a mistake (it would be silently ignored). */
const ARM_OPTIONS = new Set(['armHandover', 'instance', 'marker', 'tracefs']);

/** `capture --arm-handover`: arms, says what it did and what to do next. */
export function runArmHandover(opts: HandoverFlags, cmd: Command, io: CliIo): void {
  const extra = cmd.options.filter((o) => cmd.getOptionValueSource(o.attributeName()) === 'cli' && !ARM_OPTIONS.has(o.attributeName()));
  if (extra.length > 0) {
    throw new UsageError('HANDOVER_ARM_OPTIONS', `--arm-handover arms the trace instance and exits; it takes no ${extra.map((o) => o.long).join(', ')} (stop a running capture first, then arm)`);
  }
  const tracefs = findTracefs(opts.tracefs);
  if (tracefs === null) throw new CfgscopeError('CAPTURE_NO_TRACEFS', 'tracefs is not mounted at /sys/kernel/tracing or /sys/kernel/debug/tracing (mount -t tracefs nodev /sys/kernel/tracing, or name it with --tracefs)');
  const r = armHandover({ tracefs, instance: opts.instance, marker: opts.marker });
  const say = (line: string): void => io.stderr(`cfgscope capture: ${line}\n`);
  say(`armed ${r.dir}: tracing_on ${r.tracingOn}, trace cleared, trace_clock ${r.clock}, options/stacktrace 1, `
    + `events/pci/enable ${r.enabled} (${r.events.length} events: ${r.events.join(' ')})`);
  say(`wrote ${r.modules} module address markers (cfgscope-module)${r.hidden > 0 ? `, ${r.hidden} with the address hidden by kptr_restrict: their frames stay bare addresses` : ''} and the phase marker "${opts.marker}"`);
  say('next: kexec -e (the kernel loaded with kexec -l must have the same boot-args --handover fragment on its command line); '
    + 'in that kernel, cfgscope capture -o <file> reads this buffer first as the handover');
}

/** At a capture's start: whether the instance holds the previous boot's shutdown, to be read first. */
export function handoverToRead(opts: HandoverFlags, tracefs: string | null): HandoverProbe {
  if (tracefs === null) {
    if (opts.handoverTrace === true) throw new CfgscopeError('CAPTURE_NO_TRACEFS', '--handover-trace: tracefs is not mounted (or not found: name it with --tracefs)');
    return { dir: null, reason: 'handover not read (no tracefs)' };
  }
  return probeHandover({ tracefs, instance: opts.instance, force: opts.handoverTrace, kernelLog: () => readKernelLog(opts.kernelLog) });
}
