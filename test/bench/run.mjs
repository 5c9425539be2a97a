#!/usr/bin/env node
// `npm run bench`: builds large inputs from the real captures and fixtures, then measures the
// built CLI against the one-liners a user would script instead, each the median of several runs.
// Prints a table, writes test/bench/results-latest.json and compares it with the baseline,
// test/bench/results.json (the run committed before issue 13's redesign, kept as it is: see
// compare-baseline.mjs). Not a test: nothing here passes or fails on speed. Inputs go to a
// temporary directory that is removed at the end (--keep keeps it).
// Options: --quick (100k/1M instead of 1M/10M, fewer runs: to try the bench itself), --keep.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeLargeCapture, MIX_SOURCES } from './make-large-capture.mjs';
import { makeBpftraceText, makeFtraceText } from './make-raw-text.mjs';
import { repeat } from './measure.mjs';
import { protectedOffsets } from './protected-offsets.mjs';
import { liveLatencyRun, describeLiveRun } from './live-serve-latency.mjs';
import { SERVE_ROWS, serveRun } from './serve-bench.mjs';
import { describeSendPath, sendPathRows } from './send-path.mjs';
import { describeComparison, loadBaseline } from './compare-baseline.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'bin/cfgscope.js');
const quick = process.argv.includes('--quick');
const keep = process.argv.includes('--keep');
const SMALL = quick ? 100_000 : 1_000_000;
const LARGE = quick ? 1_000_000 : 10_000_000;
const RUNS_SMALL = quick ? 3 : 5;
const RUNS_LARGE = quick ? 1 : 3;
const RUNS_IMPORT = 3;
const RUNS_BUNDLED = 10;
/** The README's first command: a small check, where start-up is nearly all of the time. */
const BUNDLED = join(ROOT, 'replays/qemu-6.1-q35-basic/kernel.capture.ndjson');
const BUNDLED_ACCESSES = readFileSync(BUNDLED, 'utf8').split('\n').filter((l) => l.startsWith('{"t":"access"')).length;
const BASELINE = join(ROOT, 'test/bench/results.json');
const LATEST = join(ROOT, 'test/bench/results-latest.json');

/** One NVMe per segment of the mixed capture is preserved (each source is one segment). */
const PRESERVED = MIX_SOURCES.map((_, i) => `000${i}:02:00.0`);
const POLICY = 'luo-default';

const dir = mkdtempSync(join(tmpdir(), 'cfgscope-bench-'));
const log = (m) => process.stderr.write(`${m}\n`);
const rows = [];
const t0 = Date.now();

function machine() {
  const c = cpus();
  const sh = (cmd, args) => { try { return execFileSync(cmd, args, { encoding: 'utf8' }).trim(); } catch { return null; } };
  return {
    cpu: c[0]?.model ?? 'unknown', cores: c.length, memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version, platform: `${process.platform} ${process.arch}`, awk: sh('readlink', ['-f', sh('sh', ['-c', 'command -v awk']) ?? 'awk']),
    jq: sh('jq', ['--version']), loadAverage: sh('cat', ['/proc/loadavg']), date: new Date().toISOString(),
  };
}

function record(name, input, accesses, m, extra = {}) {
  const row = {
    name, input, accesses, runs: m.runs, wallS: +m.wall.toFixed(3), cpuS: +m.cpu.toFixed(3),
    accessesPerCpuS: Math.round(accesses / m.cpu), accessesPerWallS: Math.round(accesses / m.wall),
    maxRssMb: m.maxRssMb === null ? null : +m.maxRssMb.toFixed(1), ...extra,
  };
  rows.push(row);
  log(`  ${name} (${input}): ${row.cpuS} s cpu, ${row.wallS} s wall, ${row.accessesPerCpuS} accesses/cpu-s${row.maxRssMb ? `, ${row.maxRssMb} MB peak RSS` : ''}`);
  return row;
}

const checkArgs = (file) => [CLI, 'check', '--policy', POLICY, ...PRESERVED.flatMap((b) => ['--preserve', b]), file];
/** Violations found, from check's last line; the awk and jq columns show their own counts. */
const violations = (out) => Number(/\n(\d+) violations, /.exec(out)?.[1] ?? NaN);

async function main() {
  const info = machine();
  log(`cfgscope bench: ${info.cpu}, ${info.cores} cores, node ${info.node}; inputs in ${dir}`);

  log(`making inputs: capture ${SMALL} and ${LARGE} accesses, ftrace and bpftrace text ${SMALL}`);
  const cap = { small: join(dir, 'small.capture.ndjson'), large: join(dir, 'large.capture.ndjson') };
  makeLargeCapture(SMALL, cap.small);
  makeLargeCapture(LARGE, cap.large);
  const ftrace = join(dir, 'small.ftrace.txt');
  const bpf = join(dir, 'small.bpftrace.txt');
  const nFtrace = await makeFtraceText(SMALL, ftrace);
  const nBpf = await makeBpftraceText(SMALL, bpf);

  const { offsets } = await protectedOffsets(POLICY, MIX_SOURCES[0], '0000:02:00.0');
  const dec = offsets.join('|');
  const hex = offsets.map((o) => `0x${o.toString(16)}`).join('|');
  const segs = `[0-${PRESERVED.length - 1}]`;
  // What a user would write: count writes to the preserved devices at the protected offsets.
  const awkCapture = `/"op":"w"/ && /"seg":${segs},"bus":2,"devfn":0,"off":(${dec}),/ { n++ } END { print n+0 }`;
  const awkFtrace = `/ u?w[bwd]: \\(/ && / bus=2 devfn=0x0 where=(${hex}) / { n++ } END { print n+0 }`;
  const awkBpf = `/^ev op=w / && / bus=2 devfn=0x0 off=(${hex}) / { n++ } END { print n+0 }`;
  const jqCapture = `select(.t=="access" and .op=="w" and .seg!=null and .seg<${PRESERVED.length} and .bus==2 and .devfn==0 and ([.off]|inside([${offsets.join(',')}])))`;
  const count = (out) => Number(out.trim().split('\n').at(-1));

  log('check (the bundled capture: start-up)');
  const bundled = repeat(RUNS_BUNDLED, [CLI, 'check', '--policy', POLICY, '--preserve', '0000:02:00.0', BUNDLED], { node: true, stdout: 'pipe', expectStatus: [0, 1] });
  const small = record('check', `bundled capture ${BUNDLED_ACCESSES}`, BUNDLED_ACCESSES, bundled, { found: violations(bundled.out), what: 'violations' });

  log('check (capture, luo-default)');
  const checkSmall = repeat(RUNS_SMALL, checkArgs(cap.small), { node: true, stdout: 'pipe', expectStatus: [0, 1] });
  record('check', `capture ${SMALL}`, SMALL, checkSmall, { found: violations(checkSmall.out), what: 'violations' });
  const checkLarge = repeat(RUNS_LARGE, checkArgs(cap.large), { node: true, stdout: 'pipe', expectStatus: [0, 1] });
  const large = record('check', `capture ${LARGE}`, LARGE, checkLarge, { found: violations(checkLarge.out), what: 'violations' });
  // Without start-up (node, modules, policy, the pci.ids parse for the report): the extra
  // accesses of the large run over its extra CPU time.
  const steadyPerCpuS = Math.round((LARGE - SMALL) / (checkLarge.cpu - checkSmall.cpu));
  log(`  check steady state: ${steadyPerCpuS} accesses/cpu-s`);

  log('the same captures packed (import -o *.cfgcap), then check on them');
  const packed = { small: join(dir, 'small.cfgcap'), large: join(dir, 'large.cfgcap') };
  const size = (f) => +(statSync(f).size / 2 ** 20).toFixed(1);
  for (const [n, k] of [[SMALL, 'small'], [LARGE, 'large']]) {
    const m = repeat(1, [CLI, 'import', cap[k], '-o', packed[k]], { node: true });
    record('import to packed', `capture ${n}`, n, m, { found: `${size(cap[k])} MB -> ${size(packed[k])}`, what: 'MB' });
  }
  const packedSmall = repeat(RUNS_SMALL, checkArgs(packed.small), { node: true, stdout: 'pipe', expectStatus: [0, 1] });
  record('check', `packed ${SMALL}`, SMALL, packedSmall, { found: violations(packedSmall.out), what: 'violations' });
  const packedLarge = repeat(RUNS_LARGE, checkArgs(packed.large), { node: true, stdout: 'pipe', expectStatus: [0, 1] });
  const largePacked = record('check', `packed ${LARGE}`, LARGE, packedLarge, { found: violations(packedLarge.out), what: 'violations' });
  const steadyPackedPerCpuS = Math.round((LARGE - SMALL) / (packedLarge.cpu - packedSmall.cpu));
  log(`  check steady state (packed): ${steadyPackedPerCpuS} accesses/cpu-s`);
  rmSync(packed.large, { force: true });

  log('alternatives on the same capture');
  const awkS = repeat(RUNS_SMALL, ['awk', awkCapture, cap.small], { stdout: 'pipe' });
  record('awk one-liner', `capture ${SMALL}`, SMALL, awkS, { found: count(awkS.out), what: 'protected writes' });
  const awkL = repeat(RUNS_LARGE, ['awk', awkCapture, cap.large], { stdout: 'pipe' });
  const awkLarge = record('awk one-liner', `capture ${LARGE}`, LARGE, awkL, { found: count(awkL.out), what: 'protected writes' });
  if (info.jq) {
    const jqS = repeat(quick ? 1 : 3, ['sh', '-c', `jq -c '${jqCapture}' "$1" | wc -l`, 'jq', cap.small], { stdout: 'pipe' });
    record('jq one-liner', `capture ${SMALL}`, SMALL, jqS, { found: count(jqS.out), what: 'protected writes' });
  }

  log('import of raw tracer text');
  const imp = (file) => [CLI, 'import', file, '-o', join(dir, 'imported.capture.ndjson')];
  record('import', `ftrace text ${nFtrace}`, nFtrace, repeat(RUNS_IMPORT, imp(ftrace), { node: true }));
  record('import', `bpftrace text ${nBpf}`, nBpf, repeat(RUNS_IMPORT, imp(bpf), { node: true }));
  const awkF = repeat(RUNS_IMPORT, ['awk', awkFtrace, ftrace], { stdout: 'pipe' });
  const awkFtraceRow = record('awk one-liner', `ftrace text ${nFtrace}`, nFtrace, awkF, { found: count(awkF.out), what: 'protected writes (segment 0 only)' });
  const awkB = repeat(RUNS_IMPORT, ['awk', awkBpf, bpf], { stdout: 'pipe' });
  record('awk one-liner', `bpftrace text ${nBpf}`, nBpf, awkB, { found: count(awkB.out), what: 'protected writes' });

  const ratio = {
    checkVsAwkSameCapture: +(large.cpuS / awkLarge.cpuS).toFixed(2),
    checkPackedVsAwkOnCapture: +(largePacked.cpuS / awkLarge.cpuS).toFixed(2),
    checkVsAwkOnRawFtrace: +((large.cpuS / LARGE) / (awkFtraceRow.cpuS / nFtrace)).toFixed(2),
  };
  const serve = existsSync(join(ROOT, 'dist/cli/serve-command.js')) ? { runs: [] } : { note: 'not measured: no serve command in this build' };
  if (serve.runs) {
    log('serve (websocket clients, luo-default)');
    const policyArgs = ['--policy', POLICY, ...PRESERVED.flatMap((b) => ['--preserve', b])];
    for (const row of SERVE_ROWS(quick)) {
      const r = await serveRun({ dir, ...row, policyArgs });
      serve.runs.push(r);
      log(`  serve ${row.rate}/s to ${row.clients}: ${r.deliveredPerClientPerS}/s per client, ${r.missedEvents} missed, ${r.clientsEnded}/${row.clients} saw the end, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms`);
    }
    // The live path: capture --serve's websocket message against its stdout line, per violation.
    serve.live = await liveLatencyRun({ pace: 10 });
    log(`  ${describeLiveRun(serve.live)}`);
    // What hand-built frames beside ws would buy over ws.send (send-path.mjs).
    serve.sendPath = await sendPathRows(quick ? 1 : 3);
    log(`  ${describeSendPath(serve.sendPath).replaceAll('\n', '\n  ')}`);
  }
  // The fleet row (fleet-bench.mjs, runnable alone): real nats-server processes, when installed.
  const fleetBench = join(dir, 'fleet.json');
  const fleetRun = spawnSync(process.execPath, [join(ROOT, 'test/bench/fleet-bench.mjs'), '--machines', quick ? '14' : '100', '--json', fleetBench], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 900_000 });
  const fleet = fleetRun.status === 0 ? JSON.parse(readFileSync(fleetBench, 'utf8')) : { note: `not measured: fleet-bench.mjs exited ${fleetRun.status ?? fleetRun.signal} (is nats-server installed?)` };
  const targets = {
    checkAccessesPerCpuS: { want: 2_000_000, got: large.accessesPerCpuS, steadyState: steadyPerCpuS, met: large.accessesPerCpuS >= 2_000_000 },
    checkPackedAccessesPerCpuS: { want: 2_000_000, got: largePacked.accessesPerCpuS, steadyState: steadyPackedPerCpuS, met: largePacked.accessesPerCpuS >= 2_000_000 },
    peakRssMbAtLarge: { want: 300, got: Math.max(large.maxRssMb, largePacked.maxRssMb), met: Math.max(large.maxRssMb, largePacked.maxRssMb) < 300 },
    atLeastAsFastAsAwk: { want: '<= 1.0 (cfgscope time / awk time, same NDJSON capture)', got: ratio.checkVsAwkSameCapture, met: ratio.checkVsAwkSameCapture <= 1 },
    packedAtLeastAsFastAsAwk: { want: '<= 1.0 (cfgscope on the packed capture / awk on the NDJSON one)', got: ratio.checkPackedVsAwkOnCapture, met: ratio.checkPackedVsAwkOnCapture <= 1 },
    // Issue 13: the README's first command, start to finish (median wall; idle machine).
    bundledCheckWallS: { want: '< 0.3', got: small.wallS, met: small.wallS < 0.3 },
  };
  const serve100k = serve.runs?.find((x) => x.feedPerS === 100_000 && x.clients === 1);
  if (serve100k) targets.serve100kToOneP99Ms = { want: '< 100', got: serve100k.latencyMs.p99, met: serve100k.latencyMs.p99 !== null && serve100k.latencyMs.p99 < 100 };
  const results = { machine: info, policy: POLICY, preserved: PRESERVED, protectedOffsets: offsets, rows, ratio, targets, serve, fleet, benchSeconds: Math.round((Date.now() - t0) / 1000), quick };
  writeFileSync(LATEST, `${JSON.stringify(results, null, 2)}\n`);
  printTable(results);
  const base = loadBaseline(BASELINE);
  console.log(base === null ? '\nno baseline (test/bench/results.json) to compare with' : `\n${describeComparison(base, results)}`);
}

function printTable(r) {
  const head = ['what', 'input', 'runs', 'cpu s', 'wall s', 'accesses/cpu-s', 'peak RSS MB', 'found'];
  const body = r.rows.map((x) => [x.name, x.input, String(x.runs), x.cpuS.toFixed(2), x.wallS.toFixed(2), x.accessesPerCpuS.toLocaleString('en'), x.maxRssMb === null ? '-' : x.maxRssMb.toFixed(0), `${x.found ?? ''} ${x.what ?? ''}`.trim()]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => (i >= 2 && i <= 6 ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ').trimEnd();
  const m = r.machine;
  console.log(`\ncfgscope bench, ${m.date}: ${m.cpu}, ${m.cores} cores, node ${m.node}, ${m.awk}; load ${m.loadAverage}`);
  console.log(`check: --policy ${r.policy} --preserve ${r.preserved.join(' ')}\n`);
  console.log(line(head));
  console.log(line(w.map((n) => '-'.repeat(n))));
  for (const b of body) console.log(line(b));
  console.log(`\ncfgscope check / awk on the same capture: ${r.ratio.checkVsAwkSameCapture} (time per access; < 1 means cfgscope is faster)`);
  console.log(`cfgscope check on the packed capture / awk on the NDJSON capture: ${r.ratio.checkPackedVsAwkOnCapture}`);
  console.log(`cfgscope check on a capture / awk on raw ftrace text: ${r.ratio.checkVsAwkOnRawFtrace}`);
  console.log(`check steady state (${LARGE} minus ${SMALL} accesses, start-up excluded): ${r.targets.checkAccessesPerCpuS.steadyState.toLocaleString('en')} accesses/cpu-s NDJSON, ${r.targets.checkPackedAccessesPerCpuS.steadyState.toLocaleString('en')} packed`);
  for (const [k, t] of Object.entries(r.targets)) console.log(`target ${k}: want ${t.want}, got ${t.got}: ${t.met ? 'met' : 'NOT met'}`);
  if (r.serve.note) console.log(`serve: ${r.serve.note}`);
  else {
    console.log('\nserve: feed (accesses/s)  clients  delivered/s per client  missed events  saw the end  latency p50 / p99 (ms)');
    for (const x of r.serve.runs) {
      const ms = (v) => (v === null ? '-' : v.toFixed(0));
      console.log(`       ${String(x.feedPerS).padStart(17)}  ${String(x.clients).padStart(7)}  ${String(x.deliveredPerClientPerS).padStart(22)}  ${String(x.missedEvents).padStart(13)}  ${`${x.clientsEnded}/${x.clients}`.padStart(11)}  ${ms(x.latencyMs.p50).padStart(9)} / ${ms(x.latencyMs.p99)}`);
    }
    if (r.serve.live) console.log(`serve: ${describeLiveRun(r.serve.live)}`);
    if (r.serve.sendPath) console.log(describeSendPath(r.serve.sendPath));
  }
  if (r.fleet.note) console.log(`fleet: ${r.fleet.note}`);
  else {
    console.log(`\nfleet (${r.fleet.machines} machines; load ${r.fleet.loadBefore}): publish accesses/s, publish -> consumer median/p95 ms, fleet answer s and peak RSS MB`);
    for (const x of r.fleet.rows) console.log(`       ${x.name.padEnd(18)} ${String(x.publish.accessesPerS).padStart(8)}  ${x.endToEnd.medianMs} / ${x.endToEnd.p95Ms}  ${x.fleet.seconds} s, ${x.fleet.maxRssMb} MB`);
  }
  console.log(`(${r.benchSeconds} s; results in test/bench/results-latest.json)`);
}

try {
  await main();
} finally {
  if (keep) log(`inputs kept in ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
