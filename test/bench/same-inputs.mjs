// `check` of this tree against a baseline commit on the same inputs, made today by this tree's
// generator: the honest form of the bench's comparison with results.json, whose inputs (and
// machine speed) were those of the day it was measured. Not part of `npm run bench` (it builds a
// second tree): run it after `npm run build`.
//
//   node test/bench/same-inputs.mjs [--baseline <rev>] [--accesses N] [--runs N] [--instructions]
//
// The baseline (default: the commit of test/bench/results.json) is checked out into a temporary
// git worktree that borrows this tree's node_modules and is built with its own `npm run build`.
// Each tree imports the capture to its own packed encoding. CPU time (user + system) of the two
// trees' `check` runs alternates, run by run: this machine's speed drifts by 20-40% within
// minutes, and alternating puts both sides in the same spells. --instructions adds a count of
// instructions under valgrind (cachegrind, no cache model) with V8 single-threaded, which
// repeats to about 0.2% where CPU time scatters by 10% or more: a small difference shows there
// first. It counts the JIT's compiling too, which the background thread otherwise does, and runs
// V8 with --predictable, which keeps the garbage collector's schedule off the clock.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeLargeCapture } from './make-large-capture.mjs';
import { median, run } from './measure.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  if (i === -1) return fallback;
  const v = process.argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
  return v;
};
const git = (...args) => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8' }).trim();

const baseline = git('rev-parse', '--short', arg('--baseline', git('log', '-1', '--format=%H', '--', 'test/bench/results.json')));
const accesses = Number(arg('--accesses', '1000000'));
const runs = Number(arg('--runs', '8'));
if (!(Number.isInteger(accesses) && accesses > 0 && Number.isInteger(runs) && runs > 0)) throw new Error('--accesses and --runs take positive integers');
const instructions = process.argv.includes('--instructions');
const preserved = [0, 1, 2, 3, 4].map((s) => `000${s}:02:00.0`);
const checkArgs = ['--policy', 'luo-default', ...preserved.flatMap((b) => ['--preserve', b])];

const dir = mkdtempSync(join(tmpdir(), 'cfgscope-same-inputs-'));
const baseTree = join(dir, 'baseline');
try {
  console.log(`baseline ${baseline}: worktree and build in ${baseTree}`);
  git('worktree', 'add', '--detach', baseTree, baseline);
  symlinkSync(join(root, 'node_modules'), join(baseTree, 'node_modules'));
  execFileSync('npm', ['run', 'build'], { cwd: baseTree, stdio: 'ignore' });

  const capture = join(dir, 'capture.ndjson');
  makeLargeCapture(accesses, capture);
  const trees = [{ name: `baseline ${baseline}`, dir: baseTree }, { name: `this tree (${git('rev-parse', '--short', 'HEAD')})`, dir: root }];
  for (const t of trees) {
    t.cli = join(t.dir, 'bin', 'cfgscope.js');
    t.packed = join(dir, `${trees.indexOf(t)}.cfgcap`);
    run([t.cli, 'import', capture, '-o', t.packed], { node: true });
  }
  const inputs = [{ name: `NDJSON ${accesses}`, file: () => capture }, { name: `packed ${accesses}`, file: (t) => t.packed }];
  const rows = [];
  for (const input of inputs) {
    const cpu = trees.map(() => []);
    for (let i = 0; i < runs; i++) {
      trees.forEach((t, k) => cpu[k].push(run([t.cli, 'check', ...checkArgs, input.file(t)], { node: true, expectStatus: [0, 1] }).cpu));
    }
    const row = { input: input.name, cpu: cpu.map(median), runs: cpu };
    if (instructions) row.instructions = trees.map((t) => countInstructions(t.cli, input.file(t)));
    rows.push(row);
  }
  const pct = (a, b) => `${b >= a ? '+' : ''}${(((b - a) / a) * 100).toFixed(1)}%`;
  console.log(`\ncheck ${checkArgs.join(' ')} <input>; CPU s (user + system), median of ${runs} alternating runs`);
  for (const r of rows) {
    console.log(`${r.input.padEnd(16)} ${trees[0].name}: ${r.cpu[0].toFixed(2)} s   ${trees[1].name}: ${r.cpu[1].toFixed(2)} s   ${pct(r.cpu[0], r.cpu[1])}`);
    console.log(`${''.padEnd(16)} runs: ${r.runs.map((xs) => xs.map((x) => x.toFixed(2)).join(' ')).join('  |  ')}`);
    if (r.instructions) console.log(`${''.padEnd(16)} instructions: ${r.instructions.map((n) => `${(n / 1e9).toFixed(3)} G`).join('  |  ')}   ${pct(r.instructions[0], r.instructions[1])}`);
  }
} finally {
  spawnSync('git', ['-C', root, 'worktree', 'remove', '--force', baseTree]);
  rmSync(dir, { recursive: true, force: true });
}

/** Instructions of one `check` under cachegrind, V8 on one thread (its compiler too) and
 *  --predictable: without it the garbage collector's time-based heuristics (memory reducer, idle
 *  tasks) move a 1M count by up to 3% from run to run, more when the machine is busy; with it one
 *  build repeats to 1M instructions in 6,000M. */
function countInstructions(cli, file) {
  const r = spawnSync('valgrind', ['--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null',
    process.execPath, '--single-threaded', '--predictable', cli, 'check', ...checkArgs, file], { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.error) throw new Error(`--instructions needs valgrind (apt-get install valgrind): ${r.error.message}`);
  const m = /I\s+refs:\s+([\d,]+)/.exec(r.stderr);
  if (!m) throw new Error(`valgrind gave no instruction count:\n${r.stderr.slice(-2000)}`);
  return Number(m[1].replaceAll(',', ''));
}
