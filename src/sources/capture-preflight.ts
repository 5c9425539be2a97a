// What `cfgscope capture` needs before it starts bpftrace, checked up front so that a missing
// piece is named (with a code from docs/errors.md) instead of surfacing as bpftrace's own error
// half-way through attaching 34 probes.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CfgscopeError } from '../model/errors.js';

/** bpftrace 0.17 (Debian bookworm) is the oldest the bundled probe is written for. */
export const MIN_BPFTRACE: readonly [number, number] = [0, 17];

export interface PreflightOptions {
  /** bpftrace executable (a name on PATH or a path). */
  bpftrace: string;
  /** Root of the filesystem whose /sys is checked; `/` on a real host. */
  sysRoot?: string;
  /** Effective uid; process.geteuid() unless a test says otherwise. */
  euid?: number;
}

export interface PreflightResult {
  bpftraceVersion: string;
  /** Where tracefs is mounted, e.g. /sys/kernel/tracing (the boot-time buffer is read from there). */
  tracefs: string;
}

/** `bpftrace v0.17.0` -> [0, 17, 0]; null when the text is not a bpftrace version line. */
export function parseBpftraceVersion(text: string): [number, number, number] | null {
  const m = /^bpftrace v(\d+)\.(\d+)\.(\d+)/m.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

function bpftraceVersion(bpftrace: string): string {
  const r = spawnSync(bpftrace, ['--version'], { encoding: 'utf8', timeout: 20_000 });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    throw new CfgscopeError('CAPTURE_NO_BPFTRACE',
      code === 'ENOENT' ? `${bpftrace} not found: install bpftrace (Debian: apt-get install bpftrace) or name it with --bpftrace <path>`
        : `${bpftrace} --version failed: ${r.error.message}`);
  }
  const v = parseBpftraceVersion(r.stdout);
  if (!v) throw new CfgscopeError('CAPTURE_NO_BPFTRACE', `${bpftrace} --version printed ${JSON.stringify(r.stdout.trim().slice(0, 80))}, not a bpftrace version`);
  if (v[0] < MIN_BPFTRACE[0] || (v[0] === MIN_BPFTRACE[0] && v[1] < MIN_BPFTRACE[1])) {
    throw new CfgscopeError('CAPTURE_BPFTRACE_VERSION', `bpftrace v${v.join('.')} is older than v${MIN_BPFTRACE.join('.')}, the oldest the bundled probe supports`);
  }
  return `v${v.join('.')}`;
}

/** Throws the first problem found: privileges, then bpftrace, then every missing kernel feature at once. */
export function preflight(opts: PreflightOptions): PreflightResult {
  const root = opts.sysRoot ?? '/';
  const euid = opts.euid ?? process.geteuid?.() ?? 0;
  if (euid !== 0) {
    throw new CfgscopeError('CAPTURE_NOT_ROOT', `capture needs root (bpftrace loads BPF programs and attaches kprobes); running as uid ${euid}: try sudo`);
  }
  const bpftraceVersion_ = bpftraceVersion(opts.bpftrace);
  const missing: string[] = [];
  const tracefs = ['sys/kernel/tracing', 'sys/kernel/debug/tracing'].map((p) => join(root, p)).find((p) => existsSync(join(p, 'trace')));
  if (!tracefs) missing.push('tracefs (not mounted at /sys/kernel/tracing or /sys/kernel/debug/tracing: mount -t tracefs nodev /sys/kernel/tracing)');
  // bpftrace attaches kprobes through the perf "kprobe" PMU, or through tracefs kprobe_events on
  // older kernels; a kernel built without CONFIG_KPROBES has neither.
  const kprobePmu = existsSync(join(root, 'sys/bus/event_source/devices/kprobe'));
  const kprobeEvents = tracefs !== undefined && existsSync(join(tracefs, 'kprobe_events'));
  if (!kprobePmu && !kprobeEvents) missing.push('kprobes (no perf kprobe PMU in /sys/bus/event_source/devices and no kprobe_events in tracefs: a kernel with CONFIG_KPROBES and CONFIG_KPROBE_EVENTS)');
  if (!existsSync(join(root, 'sys/kernel/btf/vmlinux'))) missing.push('BTF (/sys/kernel/btf/vmlinux: a kernel with CONFIG_DEBUG_INFO_BTF; the probe reads struct pci_bus/pci_dev fields through it)');
  if (missing.length > 0) {
    throw new CfgscopeError('CAPTURE_KERNEL_UNSUPPORTED', `this kernel cannot run the probe; missing: ${missing.join('; ')}`, { file: root });
  }
  return { bpftraceVersion: bpftraceVersion_, tracefs: tracefs! };
}
