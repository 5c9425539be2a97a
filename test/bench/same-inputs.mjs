// Every cfgscope rate of `npm run bench` measured for this tree and a baseline commit on the same
// inputs, in the same minutes: the honest form of the bench's comparison with results.json, whose
// inputs and machine speed were those of the day it was measured. Not part of `npm run bench` (it
// builds a second tree): run it after `npm run build`.
//
//   node test/bench/same-inputs.mjs [--baseline <rev>] [--accesses N] [--runs N] [--large N]
//                                   [--serve] [--check-only] [--instructions]
//
// The baseline (default: the commit of test/bench/results.json) is checked out into a temporary
// git worktree that borrows this tree's node_modules and is built with its own `npm run build`.
// Rows, each run by the two trees in turn, run after run (this machine's speed drifts by 20-40%
// within minutes, and alternating puts both sides in the same spells), CPU time (user + system)
// per run, median: check of the NDJSON capture (`--accesses`, default 1M, made by this tree's
// generator), import of it to each tree's own packed encoding, check of that; import of raw
// ftrace and bpftrace text of about as many accesses; with `--large N` the three capture rows
// again at N accesses; with `--serve` the serve rows of the bench's comparison (delivered per
// client, which the feed rate caps, and accesses received per server CPU second of the whole
// run, start-up and lead-in included; serve-bench.mjs). A rate more than 10%
// below the baseline's is named, as compare-baseline.mjs names it against results.json.
// `--check-only` keeps the two check rows. --instructions adds a count of instructions of each
// check under valgrind (cachegrind, no cache model) with V8 single-threaded, which repeats to
// about 0.2% where CPU time scatters by 10% or more; but it understates the native cost of a
// larger, branchier path (README.md, "Instructions understate the native cost"). It counts the
// JIT's compiling too, which the background thread otherwise does, and runs V8 with
// --predictable, which keeps the garbage collector's schedule off the clock.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeLargeCapture } from './make-large-capture.mjs';
import { makeBpftraceText, makeFtraceText } from './make-raw-text.mjs';
import { median, run } from './measure.mjs';
import { SERVE_ROWS, serveRun } from './serve-bench.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
/** `--name value` or `--name=value`; `fallback` when absent. */
const arg = (name, fallback) => {
  const joined = process.argv.find((a) => a.startsWith(`${name}=`));
  if (joined !== undefined) return joined.slice(name.length + 1);
  const i = process.argv.indexOf(name);
  if (i === -1) return fallback;
  const v = process.argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
  return v;
};
const has = (name) => process.argv.some((a) => a === name || a.startsWith(`${name}=`));
const git = (...args) => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8' }).trim();
const count = (name, fallback) => {
  const n = Number(arg(name, fallback));
  if (!(Number.isInteger(n) && n > 0)) throw new Error(`${name} takes a positive integer`);
  return n;
};

const baseline = git('rev-parse', '--short', arg('--baseline', git('log', '-1', '--format=%H', '--', 'test/bench/results.json')));
const accesses = count('--accesses', '1000000');
const runs = count('--runs', '8');
const large = has('--large') ? count('--large', '') : null;
const serve = has('--serve');
const checkOnly = has('--check-only');
const instructions = has('--instructions');
const preserved = [0, 1, 2, 3, 4].map((s) => `000${s}:02:00.0`);
const checkArgs = ['--policy', 'luo-default', ...preserved.flatMap((b) => ['--preserve', b])];

const dir = mkdtempSync(join(tmpdir(), 'cfgscope-same-inputs-'));
const baseTree = join(dir, 'baseline');
const cleanUp = () => {
  spawnSync('git', ['-C', root, 'worktree', 'remove', '--force', baseTree]);
  rmSync(dir, { recursive: true, force: true });
};
// Ctrl-C skips `finally`: the worktree (registered in this repository) and gigabytes of inputs
// would stay behind.
process.once('SIGINT', () => {
  cleanUp();
  process.exit(130);
});
try {
  console.log(`baseline ${baseline}: worktree and build in ${baseTree}`);
  git('worktree', 'add', '--detach', baseTree, baseline);
  symlinkSync(join(root, 'node_modules'), join(baseTree, 'node_modules'));
  execFileSync('npm', ['run', 'build'], { cwd: baseTree, stdio: 'ignore' });
  const trees = [{ name: `baseline ${baseline}`, dir: baseTree }, { name: `this tree (${git('rev-parse', '--short', 'HEAD')})`, dir: root }];
  trees.forEach((t, k) => { t.cli = join(t.dir, 'bin', 'cfgscope.js'); t.k = k; });

  /** The two trees in turn, the baseline first on even runs and second on odd ones (no side
   *  always runs in the other's wake). */
  const inTurn = (i) => (i % 2 === 0 ? trees : [trees[1], trees[0]]);
  /** Rows of one command per tree: accesses per CPU second, the trees in turn, `times` runs. */
  const rows = [];
  const cpuRow = (what, n, times, argsOf, { counted = false } = {}) => {
    const cpu = trees.map(() => []);
    for (let i = 0; i < times; i++) for (const t of inTurn(i)) cpu[t.k].push(run([t.cli, ...argsOf(t)], { node: true, expectStatus: [0, 1] }).cpu);
    const row = { what, unit: 'accesses/cpu-s', rates: cpu.map((xs) => n / median(xs)), detail: cpu.map((xs) => xs.map((x) => x.toFixed(2)).join(' ')) };
    if (counted && instructions) row.instructions = trees.map((t) => countInstructions(t.cli, argsOf(t).at(-1)));
    rows.push(row);
    console.log(`  ${what}: ${row.detail.join('  |  ')} cpu s`);
  };
  const captureRows = (n, times) => {
    const capture = join(dir, `capture-${n}.ndjson`);
    makeLargeCapture(n, capture);
    const packed = (t) => join(dir, `${t.k}-${n}.cfgcap`);
    if (checkOnly) for (const t of trees) run([t.cli, 'import', capture, '-o', packed(t)], { node: true });
    else cpuRow(`import to packed, capture ${n}`, n, times, (t) => ['import', capture, '-o', packed(t)]);
    cpuRow(`check, capture ${n}`, n, times, () => ['check', ...checkArgs, capture], { counted: true });
    cpuRow(`check, packed ${n}`, n, times, (t) => ['check', ...checkArgs, packed(t)], { counted: true });
    rmSync(capture);
    for (const t of trees) rmSync(packed(t));
  };

  captureRows(accesses, runs);
  if (!checkOnly) {
    for (const [kind, make] of [['ftrace', makeFtraceText], ['bpftrace', makeBpftraceText]]) {
      const text = join(dir, `${kind}.txt`);
      const n = await make(accesses, text);
      const out = (t) => join(dir, `${t.k}-from-${kind}.ndjson`);
      cpuRow(`import, ${kind} text ${n}`, n, Math.min(runs, 4), (t) => ['import', text, '-o', out(t)]);
      rmSync(text);
      for (const t of trees) rmSync(out(t));
    }
  }
  if (large !== null) captureRows(large, Math.min(runs, 3));
  if (serve) {
    for (const row of SERVE_ROWS(false)) {
      const got = trees.map(() => []);
      for (let i = 0; i < Math.min(runs, 3); i++) for (const t of inTurn(i)) got[t.k].push(await serveRun({ dir, ...row, policyArgs: checkArgs, cli: t.cli }));
      const name = `serve ${row.rate}/s to ${row.clients}`;
      for (const [label, key] of [['delivered/s per client', 'deliveredPerClientPerS'], ['received per server cpu-s', 'receivedPerServerCpuS']]) {
        rows.push({ what: `${name}, ${label}`, unit: '', rates: got.map((rs) => median(rs.map((r) => r[key]))), detail: got.map((rs) => rs.map((r) => r[key]).join(' ')) });
      }
      console.log(`  ${name}: ${got.map((rs) => rs.map((r) => `${r.deliveredPerClientPerS}/s, ${r.receivedPerServerCpuS}/cpu-s`).join('; ')).join('  |  ')}`);
    }
  }

  const pct = (a, b) => `${b >= a ? '+' : ''}${(((b - a) / a) * 100).toFixed(1)}%`;
  console.log(`\n${trees[0].name} -> ${trees[1].name}, medians of alternating runs (check: ${checkArgs.join(' ')})`);
  const drops = [];
  for (const r of rows) {
    const drop = r.rates[1] < r.rates[0] * 0.9;
    if (drop) drops.push(r.what);
    console.log(`  ${r.what.padEnd(52)} ${Math.round(r.rates[0]).toLocaleString('en-US').padStart(11)} -> ${Math.round(r.rates[1]).toLocaleString('en-US').padStart(11)}  ${pct(r.rates[0], r.rates[1]).padStart(7)}${drop ? '  DROP over 10%' : ''}`);
    if (r.instructions) console.log(`  ${''.padEnd(52)} instructions ${r.instructions.map((n) => `${(n / 1e9).toFixed(3)} G`).join(' -> ')}  ${pct(r.instructions[0], r.instructions[1])}`);
  }
  console.log(`${drops.length} of ${rows.length} rates dropped by more than 10%${drops.length ? `: ${drops.join('; ')}` : ''}`);
} finally {
  cleanUp();
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
