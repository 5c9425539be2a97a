// Mutated real captures (replays/) through every command that reads one: no crash, documented exit
// statuses, input untouched, and a capture that is cut off or says `complete: false` is reported
// as such (never re-imported as complete, never checked as if whole).
import fc from 'fast-check';
import { describe, it, vi } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyLineMutations, isIncomplete, lineMutation } from './capture-arbitraries.js';
import { digest, records } from './case-files.js';
import { runCfgscope, ROOT } from './cli-process.js';
import { CHILD_RSS_LIMIT_KB, CHILD_TIMEOUT_MS, fuzzTestTimeout, shapeLimits } from './fuzz-config.js';
import { fuzzProperty } from './fuzz-property.js';
import { runProblems, TOLD_INCOMPLETE, type Problem } from './invariants.js';

vi.setConfig({ testTimeout: fuzzTestTimeout(), hookTimeout: 120_000 });

const KERNEL = join(ROOT, 'replays/qemu-6.1-q35-basic/kernel.capture.ndjson');
const DEVICE = join(ROOT, 'replays/qemu-6.1-q35-basic/device.capture.ndjson');
const BASES = [KERNEL, join(ROOT, 'replays/lab-kexec/kernel.capture.ndjson'), join(ROOT, 'replays/qemu-6.1-bpftrace/probe-phases.capture.ndjson')];
const POLICY = ['--policy', 'luo-default', '--preserve', '0000:02:00.0'];
const limits = { timeoutMs: CHILD_TIMEOUT_MS, rssLimitKb: CHILD_RSS_LIMIT_KB };

/** A command that reads the capture, with the exit statuses documented for it. */
interface Command { name: string; args: (input: string, dir: string) => string[]; allowed: number[]; text: boolean }
const COMMANDS: Command[] = [
  { name: 'check', args: (f) => ['check', ...POLICY, f], allowed: [0, 1, 65], text: true },
  { name: 'check-json', args: (f) => ['check', '--json', ...POLICY, f], allowed: [0, 1, 65], text: false },
  { name: 'replay', args: (f) => ['replay', f], allowed: [0, 65], text: true },
  { name: 'import', args: (f, d) => ['import', f, '-o', join(d, 'out.ndjson')], allowed: [0, 65], text: false },
  { name: 'import-packed', args: (f, d) => ['import', f, '-o', join(d, 'out.cfgcap')], allowed: [0, 65], text: false },
  { name: 'report', args: (f) => ['report', ...POLICY, '--format', 'email', f], allowed: [0, 65], text: true },
  { name: 'diff', args: (f) => ['diff', KERNEL, f], allowed: [0, 1, 65], text: false },
  { name: 'crosscheck', args: (f) => ['crosscheck', f, DEVICE], allowed: [0, 1, 65], text: false },
];

describe('fuzz: captures', () => {
  it('capture-mutations: mutated captures never crash, and a cut-off capture is reported as incomplete', async () => {
    const { maxDepth, hugeLine } = shapeLimits();
    const texts = BASES.map((f) => readFileSync(f, 'utf8'));
    const arb = fc.record({
      base: fc.nat({ max: BASES.length - 1 }),
      muts: fc.array(lineMutation(maxDepth), { minLength: 1, maxLength: 4 }),
      command: fc.constantFrom(...COMMANDS),
    });
    await fuzzProperty('capture-mutations', arb, async ({ base, muts, command }, dir) => {
      const bytes = applyLineMutations(texts[base]!, muts, hugeLine);
      const input = join(dir, 'capture.ndjson');
      writeFileSync(input, bytes);
      const before = digest(input);
      const run = await runCfgscope(command.args(input, dir), { ...limits, cwd: dir });
      const problems: Problem[] = runProblems(run, command.allowed);
      if (digest(input) !== before) problems.push({ kind: 'input-changed', detail: `${command.name} modified its input` });
      const incomplete = isIncomplete(bytes);
      if (incomplete && command.text && (run.code === 0 || run.code === 1) && !TOLD_INCOMPLETE.test(run.stdout + run.stderr)) {
        problems.push({ kind: 'incomplete-not-told', detail: `${command.name}: a capture without a complete trailer read as if whole` });
      }
      if (incomplete && command.name === 'import' && run.code === 0) {
        const trailer = records(readFileSync(join(dir, 'out.ndjson'), 'utf8')).find((r) => r['t'] === 'trailer');
        if (trailer?.['complete'] !== false) problems.push({ kind: 'incomplete-reimported-complete', detail: `import: an incomplete capture re-imported with complete:${String(trailer?.['complete'])}` });
      }
      const summary = `${command.name} on ${BASES[base]!.replace(ROOT, '')} with ${muts.map((m) => JSON.stringify(m).slice(0, 120)).join(', ')} (${bytes.length} bytes${incomplete ? ', incomplete' : ''})`;
      return { problems, peakRssKb: run.peakRssKb, summary };
    }, {
      quickRuns: 4,
      // The examples: a capture without its trailer checked, one that says complete:false re-imported.
      examples: [{ base: 0, muts: [{ kind: 'drop-trailer' }], command: COMMANDS[0]! }, { base: 0, muts: [{ kind: 'trailer-incomplete' }], command: COMMANDS[3]! }],
    });
  });
});
