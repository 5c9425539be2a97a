// The bench's verdict against a baseline: test/bench/results.json is the run committed before the
// enrich -> judge redesign (issue 13: "no rate drops by more than 10% against results.json"), so
// `npm run bench` writes its own run to results-latest.json and compares rate by rate here. Only
// cfgscope's own rows count (awk and jq are the yardsticks, not the product); serve rows compare
// the delivered rate per client and the accesses received per server CPU second, and show p99.

import { existsSync, readFileSync } from 'node:fs';

/** A drop larger than this fraction is a regression (issue 13's "more than 10%"). */
export const MAX_DROP = 0.1;

const ours = (row) => row.name === 'check' || row.name.startsWith('import');
/** Rows of a run keyed by what they measured (the input names the size: 1M and 10M runs differ). */
const key = (row) => `${row.name} | ${row.input}`;
const serveKey = (s) => `serve ${s.feedPerS}/s to ${s.clients}`;

export function loadBaseline(file) {
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
}

/** [{ what, metric, before, now, change, regression }] for every measure both runs have. */
export function compareRuns(base, now) {
  const out = [];
  const add = (what, metric, before, after, higherIsBetter = true) => {
    if (typeof before !== 'number' || typeof after !== 'number' || before === 0) return;
    const change = (after - before) / before;
    out.push({ what, metric, before, now: after, change, regression: higherIsBetter ? change < -MAX_DROP : change > MAX_DROP });
  };
  const baseRows = new Map(base.rows.filter(ours).map((r) => [key(r), r]));
  for (const r of now.rows.filter(ours)) add(key(r), 'accesses/cpu-s', baseRows.get(key(r))?.accessesPerCpuS, r.accessesPerCpuS);
  const baseServe = new Map((base.serve?.runs ?? []).map((s) => [serveKey(s), s]));
  for (const s of now.serve?.runs ?? []) {
    const b = baseServe.get(serveKey(s));
    if (b === undefined) continue;
    add(serveKey(s), 'delivered/s per client', b.deliveredPerClientPerS, s.deliveredPerClientPerS);
    add(serveKey(s), 'received per server cpu-s', b.receivedPerServerCpuS, s.receivedPerServerCpuS);
  }
  return out;
}

export function describeComparison(base, now) {
  const rows = compareRuns(base, now);
  const lines = [`against the baseline (${base.machine.date}, load ${base.machine.loadAverage.split(' ').slice(0, 3).join(' ')}; now load ${now.machine.loadAverage.split(' ').slice(0, 3).join(' ')}):`];
  const w = Math.max(...rows.map((r) => `${r.what}, ${r.metric}`.length));
  for (const r of rows) {
    const pct = `${r.change >= 0 ? '+' : ''}${(100 * r.change).toFixed(1)}%`;
    lines.push(`  ${`${r.what}, ${r.metric}`.padEnd(w)}  ${r.before.toLocaleString('en').padStart(11)} -> ${r.now.toLocaleString('en').padStart(11)}  ${pct.padStart(7)}${r.regression ? `  DROP over ${100 * MAX_DROP}%` : ''}`);
  }
  const bad = rows.filter((r) => r.regression);
  lines.push(bad.length === 0
    ? `no rate dropped by more than ${100 * MAX_DROP}% (${rows.length} compared)`
    : `${bad.length} of ${rows.length} rates dropped by more than ${100 * MAX_DROP}%: ${bad.map((r) => `${r.what} (${r.metric})`).join('; ')}`);
  // Told each time: a drop here may be the machine's speed on the day, not the code.
  if (bad.length > 0) lines.push(`the baseline ran on ${base.machine.date.slice(0, 10)}, and this machine's speed drifts by 20-40%: \`node test/bench/same-inputs.mjs --large 10000000 --serve\` measures the baseline commit's rates in the same minutes`);
  return lines.join('\n');
}
