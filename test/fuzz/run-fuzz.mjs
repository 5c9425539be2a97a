// `npm run fuzz [-- --minutes N] [--seed S] [--runs N] [--only <property>] [--shrink]`: the
// properties of test/fuzz for longer than `npm test` runs them. The time is shared among the
// properties (run one after another, so that peak memory is each one's own); every property runs
// to its budget, collecting failures by class instead of stopping at the first, then this prints
// the cases run, the failure classes with an example and its replay command, and the peak RSS.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
/** The properties that run processes, one budget share each (the generator checks run once). */
const PROPERTIES = ['invalid-records', 'hostile-strings', 'capture-mutations', 'packed-damage', 'hostile-policies', 'small-inputs',
  'outputs-keep-inputs', 'serve-http', 'serve-messages', 'serve-origin', 'serve-ping-flood'];

function parseArgs(argv) {
  const o = { minutes: 10, seed: Date.now() % 0x7fffffff, runs: null, only: null, shrink: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => { const v = argv[++i]; if (v === undefined) throw new Error(`${a} needs a value`); return v; };
    if (a === '--minutes') o.minutes = Number(next());
    else if (a === '--seed') o.seed = Number(next());
    else if (a === '--runs') o.runs = Number(next());
    else if (a === '--only' || a === '-t') o.only = next();
    else if (a === '--shrink') o.shrink = true;
    else throw new Error(`unknown option ${a} (--minutes N, --seed S, --runs N, --only <property>, --shrink)`);
  }
  if (!(o.minutes > 0) || !Number.isInteger(o.seed)) throw new Error('--minutes must be > 0 and --seed an integer');
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const stats = mkdtempSync(join(tmpdir(), 'cfgscope-fuzz-stats-'));
const share = opts.only ? 1 : PROPERTIES.length;
const seconds = Math.max(10, Math.floor((opts.minutes * 60) / share));
const env = {
  ...process.env,
  CFGSCOPE_FUZZ_SEED: String(opts.seed),
  CFGSCOPE_FUZZ_COLLECT: '1',
  CFGSCOPE_FUZZ_STATS: stats,
  ...(opts.runs !== null ? { CFGSCOPE_FUZZ_RUNS: String(opts.runs) } : { CFGSCOPE_FUZZ_SECONDS: String(seconds) }),
  ...(opts.shrink ? { CFGSCOPE_FUZZ_SHRINK: '1' } : {}),
};
process.stdout.write(`cfgscope fuzz: seed ${opts.seed}, ${opts.runs !== null ? `${opts.runs} cases` : `${seconds} s`} per property${opts.only ? ` (${opts.only} only)` : ` (${share} properties)`}\n`);
const started = Date.now();
const vitest = spawnSync(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', 'test/fuzz', '--no-file-parallelism', ...(opts.only ? ['-t', opts.only] : [])],
  { cwd: root, env, stdio: 'inherit' });

const results = readdirSync(stats).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(stats, f), 'utf8')));
rmSync(stats, { recursive: true, force: true });
let cases = 0;
let failures = 0;
let peak = 0;
process.stdout.write(`\n${'property'.padEnd(24)} ${'cases'.padStart(7)} ${'failure classes'.padStart(16)} ${'peak RSS'.padStart(10)}\n`);
for (const r of results.sort((a, b) => a.name.localeCompare(b.name))) {
  cases += r.cases;
  failures += r.failures.length;
  peak = Math.max(peak, r.peakRssKb);
  process.stdout.write(`${r.name.padEnd(24)} ${String(r.cases).padStart(7)} ${String(r.failures.length).padStart(16)} ${`${Math.round(r.peakRssKb / 1024)} MiB`.padStart(10)}\n`);
}
for (const r of results) {
  for (const f of r.failures) {
    process.stdout.write(`\n${r.name} [${f.count}x] ${f.signature}\n  e.g. ${f.summary.slice(0, 400)}\n  files: ${f.kept}\n  replay: CFGSCOPE_FUZZ_SEED=${r.seed} CFGSCOPE_FUZZ_PATH=${f.run} npx vitest run test/fuzz -t ${r.name}\n`);
  }
}
const minutes = ((Date.now() - started) / 60000).toFixed(1);
process.stdout.write(`\ncfgscope fuzz: ${cases} cases in ${minutes} min, ${failures} failure classes, peak RSS of a cfgscope process ${Math.round(peak / 1024)} MiB (seed ${opts.seed})\n`);
process.exitCode = vitest.status === 0 && failures === 0 ? 0 : 1;
