// Hostile records in a real capture (replays/qemu-6.1-q35-basic), run through the real CLI.
// invalid-records: records out of their documented ranges are skipped with a code and their line,
//   and change no verdict (check's findings and exit 1 stay those of the capture without them).
// hostile-strings: strings carrying terminal escapes and forged lines are printed escaped.
import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { digest, records, verdicts } from './case-files.js';
import { runCfgscope, ROOT, type ProcessRun } from './cli-process.js';
import { CHILD_RSS_LIMIT_KB, CHILD_TIMEOUT_MS, fuzzTestTimeout, shapeLimits } from './fuzz-config.js';
import { fuzzProperty } from './fuzz-property.js';
import { rawControlAt, rawHtmlIn, runProblems, type Problem } from './invariants.js';
import { applyInsertions, applyStringEdits, everyBadAccess, insertions, issueExamples, loadBase, stringEdits, type BaseCapture, type Insertion } from './record-arbitraries.js';

vi.setConfig({ testTimeout: fuzzTestTimeout(), hookTimeout: 120_000 });

const BASE_FILE = join(ROOT, 'replays/qemu-6.1-q35-basic/kernel.capture.ndjson');
const POLICY = ['--policy', 'luo-default', '--preserve', '0000:02:00.0'];
const limits = { timeoutMs: CHILD_TIMEOUT_MS, rssLimitKb: CHILD_RSS_LIMIT_KB };

let base: BaseCapture;
let baseVerdicts: string[];
/** A write to the preserved device 0000:02:00.0 (bus 2, devfn 0): where a hostile copy does harm. */
let preservedWrite: number;

beforeAll(async () => {
  base = loadBase(BASE_FILE);
  preservedWrite = base.writes.find((i) => /"bus":2,"devfn":0,/.test(base.lines[i]!))!;
  expect(preservedWrite).toBeGreaterThan(0);
  const run = await runCfgscope(['check', '--json', ...POLICY, BASE_FILE], limits);
  // Not vacuous: the capture has violations (exit 1) that a hostile record could hide.
  expect(run.code).toBe(1);
  baseVerdicts = verdicts(run.stdout);
  expect(baseVerdicts.filter((v) => v.includes('"violation"')).length).toBeGreaterThan(10);
});

const peak = (...runs: ProcessRun[]): number => Math.max(...runs.map((r) => r.peakRssKb));

describe('fuzz: records', () => {
  it('invalid-records: out-of-range records are skipped with a code and change no verdict', async () => {
    const { maxDepth, maxInsertions } = shapeLimits();
    await fuzzProperty('invalid-records', insertions(base, maxDepth, maxInsertions), async (ins, dir) => {
      const { text, lineOf } = applyInsertions(base, ins);
      const input = join(dir, 'capture.ndjson');
      writeFileSync(input, text);
      const before = digest(input);
      const out = join(dir, 'out.ndjson');
      const [imp, chk] = await Promise.all([
        runCfgscope(['import', input, '-o', out], limits),
        runCfgscope(['check', '--json', ...POLICY, input], limits),
      ]);
      const problems: Problem[] = [...runProblems(imp, [0, 65]), ...runProblems(chk, [0, 1, 65])];
      if (digest(input) !== before) problems.push({ kind: 'input-changed', detail: 'the capture read was modified' });
      if (imp.code === 65) problems.push({ kind: 'fatal-on-record', detail: `import stopped instead of skipping: ${imp.stderr.split('\n')[0]}` });
      if (imp.code === 0) {
        const skippedLines = new Set(records(readFileSync(out, 'utf8')).filter((r) => r['t'] === 'skipped').map((r) => r['line']));
        ins.forEach((x, i) => {
          if (!skippedLines.has(lineOf[i])) problems.push({ kind: 'not-skipped', detail: `${x.line.tag} (line ${lineOf[i]}) was accepted` });
        });
      }
      if (chk.code === 0) problems.push({ kind: 'verdict-changed', detail: 'check exit 0: hostile records hid the violations (exit 1 without them)' });
      if (chk.code === 1) {
        const got = verdicts(chk.stdout);
        const i = got.findIndex((v, k) => v !== baseVerdicts[k]);
        if (i >= 0 || got.length !== baseVerdicts.length) {
          const k = i >= 0 ? i : Math.min(got.length, baseVerdicts.length);
          problems.push({ kind: 'findings-changed', detail: `finding ${k}: ${got[k] ?? '(none)'} instead of ${baseVerdicts[k] ?? '(none)'}` });
        }
      }
      return { problems, peakRssKb: peak(imp, chk), summary: ins.map((x, i) => `line ${lineOf[i]} [${x.line.tag}] ${x.line.text.slice(0, 160)}`).join('\n        ') };
    }, { quickRuns: 2, examples: issueExamples(base, preservedWrite) });
  });

  it('invalid-records-table: every out-of-range access field, one record each, is skipped with its line', async () => {
    // One record per bad value, all in one capture: one process checks the whole table.
    const lines = everyBadAccess(base, preservedWrite);
    await fuzzProperty('invalid-records-table', fc.constant(lines.map((line): Insertion => ({ after: preservedWrite, line }))), async (ins, dir) => {
      const { text, lineOf } = applyInsertions(base, ins);
      const input = join(dir, 'capture.ndjson');
      writeFileSync(input, text);
      const out = join(dir, 'out.ndjson');
      const imp = await runCfgscope(['import', input, '-o', out], limits);
      const problems: Problem[] = runProblems(imp, [0]);
      if (imp.code === 0) {
        const skipped = new Map(records(readFileSync(out, 'utf8')).filter((r) => r['t'] === 'skipped').map((r) => [r['line'], r['code']]));
        ins.forEach((x, i) => {
          if (!skipped.has(lineOf[i])) problems.push({ kind: 'not-skipped', detail: `${x.line.tag} was accepted` });
        });
      }
      return { problems, peakRssKb: imp.peakRssKb, summary: `${ins.length} records, each one field out of range, after line ${preservedWrite + 1}` };
    }, { quickRuns: 1, maxRuns: 1 });
  });

  it('hostile-strings: capture strings are printed without raw control characters or forged lines', async () => {
    await fuzzProperty('hostile-strings', stringEdits(base), async (edits, dir) => {
      const input = join(dir, 'capture.ndjson');
      writeFileSync(input, applyStringEdits(base, edits));
      const runs = await Promise.all([
        runCfgscope(['check', ...POLICY, input], limits),
        runCfgscope(['replay', input], limits),
        runCfgscope(['report', ...POLICY, '--format', 'markdown', input], limits),
      ]);
      const [chk, rep, md] = runs as [ProcessRun, ProcessRun, ProcessRun];
      const problems: Problem[] = [...runProblems(chk, [0, 1]), ...runProblems(rep, [0]), ...runProblems(md, [0])];
      for (const r of runs) {
        for (const [stream, text] of [['stdout', r.stdout], ['stderr', r.stderr]] as const) {
          const raw = rawControlAt(text);
          if (raw) problems.push({ kind: 'raw-control', detail: `${r.args[0]} ${stream}: ${raw}` });
          const forged = /^\s*FORGED.*$/m.exec(text);
          if (forged) problems.push({ kind: 'forged-line', detail: `${r.args[0]} ${stream}: a capture string made the line ${JSON.stringify(forged[0].slice(0, 80))}` });
        }
      }
      // Markdown: capture text may only reach the report escaped or inside a code span.
      const html = md.stdout.split('\n').find(rawHtmlIn);
      if (html !== undefined) {
        const at = html.indexOf('<img');
        problems.push({ kind: 'markdown-unescaped', detail: `report: raw HTML from the capture: ${JSON.stringify(html.slice(Math.max(0, at - 40), at + 40))}` });
      }
      return { problems, peakRssKb: peak(...runs), summary: edits.map((e) => `line ${e.line + 1} ${e.path} = ${JSON.stringify(e.value)}`).join('; ') };
    }, { quickRuns: 1 });
  });
});
