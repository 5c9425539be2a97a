// Runs one command and measures it: wall time, CPU time (user + system, from /proc/self/stat's
// cutime/cstime, which count children once they are waited for), and for node processes the peak
// RSS they report themselves (rss-probe.mjs). CPU time is what "on one core" means on a machine
// shared with other work; wall time is shown too.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROBE = fileURLToPath(new URL('./rss-probe.mjs', import.meta.url));
const TICK = 100; // USER_HZ on Linux

function childCpuSeconds() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 of stat (cutime, cstime) are 14 and 15 here, counted after the comm field.
  return (Number(f[13]) + Number(f[14])) / TICK;
}

/**
 * `cmd` is [program, ...args]; `node: true` runs it under node with the RSS probe. Output goes to
 * `stdout` (a file path) or is discarded. Returns { wall, cpu, maxRssMb, status, out }.
 */
export function run(cmd, { node = false, stdout = 'ignore', shell = false, expectStatus = [0] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'cfgscope-usage-'));
  const usageFile = join(dir, 'usage.json');
  const [prog, ...args] = node ? [process.execPath, '--import', PROBE, ...cmd] : cmd;
  const cpu0 = childCpuSeconds();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(prog, args, {
    env: { ...process.env, CFGSCOPE_BENCH_USAGE: usageFile },
    stdio: ['ignore', stdout === 'pipe' ? 'pipe' : 'ignore', 'pipe'],
    shell, maxBuffer: 1 << 26, encoding: 'utf8',
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = childCpuSeconds() - cpu0;
  if (r.error) throw r.error;
  if (!expectStatus.includes(r.status)) throw new Error(`${cmd.join(' ')}: exit ${r.status}\n${r.stderr}`);
  let maxRssMb = null;
  if (node) {
    const u = JSON.parse(readFileSync(usageFile, 'utf8'));
    maxRssMb = u.maxRssKb / 1024;
  }
  rmSync(dir, { recursive: true, force: true });
  return { wall, cpu, maxRssMb, status: r.status, out: r.stdout ?? '' };
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Runs `times` times and keeps the medians (and the largest peak RSS). */
export function repeat(times, cmd, opts) {
  const runs = Array.from({ length: times }, () => run(cmd, opts));
  return {
    runs: times,
    wall: median(runs.map((r) => r.wall)),
    cpu: median(runs.map((r) => r.cpu)),
    maxRssMb: runs[0].maxRssMb === null ? null : Math.max(...runs.map((r) => r.maxRssMb)),
    out: runs[0].out,
  };
}
