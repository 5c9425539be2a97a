// Runs the real CLI (`node bin/cfgscope.js`, the bundle `npm run build` makes) in a child process
// with a time limit and a memory limit, and says what happened: exit status or signal, output,
// whether it hung, and its peak resident memory. A hang or a child over the memory limit is killed
// (SIGKILL) and reported, so one bad case cannot take the shared machine down with it.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const BIN = join(ROOT, 'bin/cfgscope.js');
/** Preloaded into the child: writes its own peak RSS (getrusage) when it exits. Shared with the bench. */
const RSS_PROBE = join(ROOT, 'test/bench/rss-probe.mjs');
/** Output kept per stream; enough for `check --json` of the bundled captures many times over. */
const OUTPUT_CAP = 16 << 20;

export interface ProcessRun {
  args: readonly string[];
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** killed because its resident memory went over the limit */
  overMemory: boolean;
  /** the highest resident set size seen, in KiB (getrusage at exit, or /proc polls when killed) */
  peakRssKb: number;
}

export interface RunOptions {
  cwd?: string;
  timeoutMs: number;
  rssLimitKb: number;
  env?: Record<string, string>;
  /** kill the child with SIGKILL after this many ms (an interrupted write), not counted as a hang */
  killAfterMs?: number;
}

/** VmHWM (peak RSS) of a live process, 0 when it is gone. */
export function peakRssOf(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Current RSS of a live process in KiB, 0 when it is gone. */
export function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export async function runCfgscope(args: readonly string[], opts: RunOptions): Promise<ProcessRun> {
  const usageDir = mkdtempSync(join(tmpdir(), 'cfgscope-fuzz-usage-'));
  const usageFile = join(usageDir, 'usage.json');
  const child = spawn(process.execPath, ['--import', RSS_PROBE, BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env, CFGSCOPE_BENCH_USAGE: usageFile, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { if (stdout.length < OUTPUT_CAP) stdout += d.toString('utf8'); });
  child.stderr.on('data', (d: Buffer) => { if (stderr.length < OUTPUT_CAP) stderr += d.toString('utf8'); });
  let timedOut = false;
  let overMemory = false;
  let polled = 0;
  const kill = (): void => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); };
  const timer = setTimeout(() => { timedOut = true; kill(); }, opts.timeoutMs);
  const killer = opts.killAfterMs === undefined ? undefined : setTimeout(kill, opts.killAfterMs);
  // Polled, so that a child that grows without bound is stopped long before it hurts the machine.
  const poll = setInterval(() => {
    polled = Math.max(polled, peakRssOf(child.pid!));
    if (polled > opts.rssLimitKb) { overMemory = true; kill(); }
  }, 50);
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => {
    child.on('close', (c, s) => resolve([c, s]));
  });
  clearTimeout(timer);
  if (killer) clearTimeout(killer);
  clearInterval(poll);
  let atExit = 0;
  try {
    atExit = (JSON.parse(readFileSync(usageFile, 'utf8')) as { maxRssKb: number }).maxRssKb;
  } catch {
    // killed: no exit hook ran; the polls are all there is
  }
  rmSync(usageDir, { recursive: true, force: true });
  const peakRssKb = Math.max(polled, atExit);
  if (peakRssKb > opts.rssLimitKb) overMemory = true;
  return { args, code, signal, stdout, stderr, timedOut, overMemory, peakRssKb };
}
