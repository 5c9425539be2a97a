// Packed captures made by the real `cfgscope import x -o x.cfgcap`, then bit-flipped, cut and
// overwritten: no crash, documented exit statuses, input untouched, and a damaged file never
// changes findings silently (a changed verdict comes with a coded warning or error on stderr, or
// the capture is said to be incomplete).
import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accessFramesOf, applyByteMutations, byteMutation } from './capture-arbitraries.js';
import { digest, verdicts } from './case-files.js';
import { runCfgscope, ROOT } from './cli-process.js';
import { CHILD_RSS_LIMIT_KB, CHILD_TIMEOUT_MS, fuzzTestTimeout } from './fuzz-config.js';
import { fuzzProperty } from './fuzz-property.js';
import { CODE, runProblems, TOLD_INCOMPLETE, type Problem } from './invariants.js';

vi.setConfig({ testTimeout: fuzzTestTimeout(), hookTimeout: 120_000 });

const KERNEL = join(ROOT, 'replays/qemu-6.1-q35-basic/kernel.capture.ndjson');
const POLICY = ['--policy', 'luo-default', '--preserve', '0000:02:00.0'];
const limits = { timeoutMs: CHILD_TIMEOUT_MS, rssLimitKb: CHILD_RSS_LIMIT_KB };

let packed: Buffer;
/** The magic line (`cfgscope-packed <version>`): mutations start after it, so the file stays packed. */
let magicLength: number;
let baseVerdicts: string[];
/** The access frames of the preserved device 0000:02:00.0: a flipped bit there changes verdicts. */
let preservedFrames: number[];

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfgscope-fuzz-packed-'));
  const file = join(dir, 'base.cfgcap');
  const imp = await runCfgscope(['import', KERNEL, '-o', file], limits);
  expect(imp.code).toBe(0);
  packed = readFileSync(file);
  magicLength = packed.indexOf(0x0a) + 1;
  expect(packed.subarray(0, magicLength).toString()).toMatch(/^cfgscope-packed \d+\n$/);
  preservedFrames = accessFramesOf(packed, magicLength, 2, 0);
  expect(preservedFrames.length).toBeGreaterThan(10);
  const chk = await runCfgscope(['check', '--json', ...POLICY, file], limits);
  // Not vacuous: the intact packed file has the violations a flipped bit could hide or invent.
  expect(chk.code).toBe(1);
  baseVerdicts = verdicts(chk.stdout);
  expect(baseVerdicts.length).toBeGreaterThan(10);
});

describe('fuzz: packed', () => {
  it('packed-damage: bit flips and cuts in a packed capture never crash and never change findings silently', async () => {
    const arb = fc.record({
      muts: fc.array(byteMutation(), { minLength: 1, maxLength: 8 }),
      command: fc.constantFrom('check', 'check', 'import', 'replay'),
    });
    await fuzzProperty('packed-damage', arb, async ({ muts, command }, dir) => {
      const bytes = applyByteMutations(packed, muts, magicLength, preservedFrames);
      const input = join(dir, 'capture.cfgcap');
      writeFileSync(input, bytes);
      const before = digest(input);
      const args = command === 'check' ? ['check', '--json', ...POLICY, input]
        : command === 'import' ? ['import', input, '-o', join(dir, 'out.ndjson')] : ['replay', input];
      const run = await runCfgscope(args, limits);
      const problems: Problem[] = runProblems(run, command === 'check' ? [0, 1, 65] : [0, 65]);
      if (digest(input) !== before) problems.push({ kind: 'input-changed', detail: `${command} modified its input` });
      // A warning: a coded skip or error, or the capture said to be incomplete.
      if (command === 'check' && (run.code === 0 || run.code === 1) && !CODE.test(run.stderr) && !TOLD_INCOMPLETE.test(run.stderr)) {
        const got = verdicts(run.stdout);
        const k = got.findIndex((v, i) => v !== baseVerdicts[i]);
        if (k >= 0 || got.length !== baseVerdicts.length) {
          problems.push({ kind: 'silent-change', detail: k >= 0 ? `check: findings changed with no warning (finding ${k}: ${got[k] ?? '(none)'}, was ${baseVerdicts[k] ?? '(none)'})` : `check: ${got.length} findings instead of ${baseVerdicts.length}, with no warning` });
        }
      }
      return { problems, peakRssKb: run.peakRssKb, summary: `${command} after ${muts.map((m) => JSON.stringify(m)).join(', ')} (${bytes.length} of ${packed.length} bytes)` };
    }, {
      quickRuns: 4,
      // A cut in the middle, and one flipped bit in the access frames (the issue: no checksum);
      // a file cut right after its magic line (found by npm run fuzz: checked as an empty, clean capture).
      examples: [
        { muts: [{ kind: 'truncate', at: 0.5 }], command: 'check' }, { muts: [{ kind: 'flip-access', at: 0.5, field: 'val', bit: 1 }], command: 'check' },
        { muts: [{ kind: 'truncate', at: 0 }], command: 'check' },
      ],
    });
  });
});
