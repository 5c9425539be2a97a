// `cfgscope serve` as a real process that a test can kill (SIGKILL: no goodbye to clients) and start
// again on the same port, plus `cfgscope check --json` of the same capture: what a client must show.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

export const root = new URL('../../', import.meta.url).pathname;
export const BIN = `${root}bin/cfgscope.js`;
export const QEMU_BASIC = `${root}replays/qemu-6.1-q35-basic/kernel.capture.ndjson`;
export const PRESERVE = '0000:02:00.0';
/** Real probe output of a burst that overflowed bpftrace's ring buffer: `Lost N events` lines. */
export const BPFTRACE_LOST = `${root}test/fixtures/bpftrace/probe-lost.txt`;
const POLICY = ['--policy', 'luo-default', '--preserve', PRESERVE];

export interface ServeProcess {
  child: ChildProcess;
  /** http://127.0.0.1:port */
  http: string;
  port: number;
  exit: Promise<number | null>;
}

/** Starts `cfgscope serve <capture>` and resolves once it prints where it listens. */
export async function startServe(port: number, args: readonly string[], file: string = QEMU_BASIC): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', file, ...POLICY, '--listen', `127.0.0.1:${port}`, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exit = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  const http = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /listening on (http:\/\/[^/\s]+)\//.exec(stderr);
      if (m) resolve(m[1]!);
    });
    void exit.then(() => reject(new Error(`serve exited: ${stderr}`)));
  });
  return { child, http, port: Number(new URL(http).port), exit };
}

export async function kill(s: ServeProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill(signal);
  await s.exit;
}

export type CheckLine = Record<string, unknown> & { type: string };

/** What `cfgscope check --json` says about the same capture with the same policy. */
export function checkJson(file = QEMU_BASIC): CheckLine[] {
  const run = spawnSync(process.execPath, [BIN, 'check', '--json', ...POLICY, file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0 && run.status !== 1) throw new Error(`check failed: ${run.stderr}`);
  return run.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as CheckLine);
}

export interface Judged { verdict: string; bdf: string; register: string; rule: string; severity: string; callSite: string | null; index: number; old: number | null; new: number | null; width: number }

/** check's findings (writes judged by a rule), in order. */
export function judgedWrites(lines: readonly CheckLine[]): Judged[] {
  return lines.filter((l) => l.type === 'finding').map((l) => {
    const f = l as unknown as { verdict: string; device: { bdf: string }; register: string; rule: { id: string; severity: string }; callSite: string | null; index: number; old: number | null; new: number | null; width: number };
    return { verdict: f.verdict, bdf: f.device.bdf, register: f.register, rule: f.rule.id, severity: f.rule.severity, callSite: f.callSite, index: f.index, old: f.old, new: f.new, width: f.width };
  });
}

/** `0x0103 -> 0x0100`, `? -> 0xffffffff`: written here, not imported from the code under test. */
export function valueChange(j: Judged): string {
  const h = (v: number | null): string => (v === null ? '?' : `0x${v.toString(16).padStart(j.width * 2, '0')}`);
  return `${h(j.old)} -> ${h(j.new)}`;
}
