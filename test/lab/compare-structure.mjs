#!/usr/bin/env node
// The last step of `npm run lab`: the captures the lab just made against the committed ones, in
// structure (devices, phases, writes per device per phase; src/crosscheck/capture-structure.ts),
// not timestamps. Uses the compiled cfgscope (dist/, `npm run build`).
//   node test/lab/compare-structure.mjs <fresh replays dir> <committed replays dir> [--only-present]
// Every */*.capture.ndjson under the committed folder must have a fresh twin (with --only-present,
// committed captures without one are listed and skipped: a run of some scenarios only). Exit 1 with
// the differences, one a line, when any capture differs or is missing.
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { readAll } from '../../dist/sources/records-from-file.js';
import { captureStructure, compareStructure } from '../../dist/crosscheck/capture-structure.js';

const [fresh, committed, flag] = process.argv.slice(2);
if (!fresh || !committed) {
  process.stderr.write('usage: compare-structure.mjs <fresh replays dir> <committed replays dir> [--only-present]\n');
  process.exit(64);
}
const captures = readdirSync(committed, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => readdirSync(join(committed, d.name)).filter((f) => f.endsWith('.capture.ndjson')).map((f) => `${d.name}/${f}`))
  .sort();
let bad = 0;
let skipped = 0;
for (const c of captures) {
  const f = join(fresh, c);
  if (!existsSync(f)) {
    if (flag === '--only-present') { process.stdout.write(`skip  ${c} (not remade in this run)\n`); skipped++; continue; }
    process.stdout.write(`FAIL  ${c}: the lab made no fresh capture of it\n`);
    bad++;
    continue;
  }
  const diff = compareStructure(captureStructure(await readAll(join(committed, c))), captureStructure(await readAll(f)));
  if (diff.length === 0) {
    const s = captureStructure(await readAll(f));
    const writes = [...s.writes.values()].reduce((n, m) => n + [...m.values()].reduce((a, b) => a + b, 0), 0);
    process.stdout.write(`same  ${c}: ${s.devices.length} devices, ${s.phases.length} phases, ${writes} writes\n`);
  } else {
    process.stdout.write(`FAIL  ${c} (committed ${join(committed, c)} vs fresh ${f}):\n${diff.map((l) => `        ${l}\n`).join('')}`);
    bad++;
  }
}
const compared = captures.length - skipped;
process.stdout.write(`structure: ${bad === 0 ? `all ${compared}` : `${bad} of ${compared}`} compared captures ${bad === 0 ? 'agree with the fresh ones' : 'differ or are missing'}${skipped ? ` (${skipped} not remade, skipped)` : ''}\n`);
process.exitCode = bad === 0 ? 0 : 1;
