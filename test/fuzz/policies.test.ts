// Hostile policies through `policy lint` and `check --policy`: no crash, exit 0 or 65 (1 for
// check's violations), bounded time and memory whatever `extends` names or however many rules
// there are, the policy file untouched, and reasons printed without raw control characters.
import fc from 'fast-check';
import { beforeAll, describe, it, vi } from 'vitest';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digest } from './case-files.js';
import { runCfgscope, ROOT } from './cli-process.js';
import { CHILD_RSS_LIMIT_KB, CHILD_TIMEOUT_MS, fuzzSettings, fuzzTestTimeout } from './fuzz-config.js';
import { fuzzProperty } from './fuzz-property.js';
import { rawControlAt, runProblems, type Problem } from './invariants.js';
import { applyPolicyMutations, POLICY_BASE_NAMES, policyBases, policyMutation } from './policy-arbitraries.js';

vi.setConfig({ testTimeout: fuzzTestTimeout(), hookTimeout: 120_000 });

const CAPTURE = join(ROOT, 'replays/qemu-6.1-q35-basic/kernel.capture.ndjson');
const limits = { timeoutMs: CHILD_TIMEOUT_MS, rssLimitKb: CHILD_RSS_LIMIT_KB };
let bigPolicy: string;

beforeAll(() => {
  // A policy file far larger than any real one (luo-default is 10 KB): a size limit must refuse
  // it, not read it whole.
  const dir = mkdtempSync(join(tmpdir(), 'cfgscope-fuzz-policies-'));
  bigPolicy = join(dir, 'big.json');
  const size = 80 << 20;
  writeFileSync(bigPolicy, `{"cfgscope-policy":1,"description":"${'d'.repeat(size)}","rules":[]}`);
});

describe('fuzz: policies', () => {
  it('hostile-policies: policy lint and check survive any policy file in bounded time and memory', async () => {
    const quick = fuzzSettings().quick;
    const bases = policyBases();
    const arb = fc.record({
      base: fc.nat({ max: bases.length - 1 }),
      muts: fc.array(policyMutation(quick ? 3_000 : 100_000, quick ? 2_000 : 20_000), { minLength: 1, maxLength: 4 }),
      command: fc.constantFrom('lint', 'check'),
    });
    await fuzzProperty('hostile-policies', arb, async ({ base, muts, command }, dir) => {
      const file = join(dir, 'self.json');
      writeFileSync(file, applyPolicyMutations(bases[base]!, muts));
      mkdirSync(join(dir, 'sub'));
      symlinkSync(bigPolicy, join(dir, 'big.json'));
      const before = digest(file);
      const args = command === 'lint' ? ['policy', 'lint', file] : ['check', '--policy', file, '--preserve', '0000:02:00.0', CAPTURE];
      const run = await runCfgscope(args, { ...limits, cwd: dir });
      const problems: Problem[] = runProblems(run, command === 'lint' ? [0, 65] : [0, 1, 65]);
      if (digest(file) !== before) problems.push({ kind: 'input-changed', detail: `${command} modified the policy file` });
      for (const [stream, text] of [['stdout', run.stdout], ['stderr', run.stderr]] as const) {
        const raw = rawControlAt(text);
        if (raw) problems.push({ kind: 'raw-control', detail: `${command} ${stream}: ${raw}` });
      }
      const summary = `${command} with ${POLICY_BASE_NAMES[base]} + ${muts.map((m) => JSON.stringify(m).slice(0, 140)).join(', ')}`;
      return { problems, peakRssKb: run.peakRssKb, summary };
    }, {
      quickRuns: 3,
      // The 5,000 wildcard rules; an extends cycle; a reason carrying a terminal escape.
      examples: [
        { base: POLICY_BASE_NAMES.indexOf('luo-default'), muts: [{ kind: 'many-rules', n: 5000, wildcard: true }], command: 'lint' },
        { base: 0, muts: [{ kind: 'extends', targets: ['self.json'] }], command: 'check' },
        { base: POLICY_BASE_NAMES.indexOf('luo-strict'), muts: [{ kind: 'set', at: 0.99, value: 'why\u001b[2J\rFORGED' }], command: 'lint' },
      ],
    });
  });

  it('small-inputs: inputs that must be small (a policy, a kernel BTF) are refused when endless or huge', async () => {
    const sources = ['/dev/zero', '/dev/urandom', 'big.json', 'sub', 'missing.json'] as const;
    const arb = fc.record({ source: fc.constantFrom(...sources), command: fc.constantFrom('boot-args', 'policy', 'extends') });
    await fuzzProperty('small-inputs', arb, async ({ source, command }, dir) => {
      mkdirSync(join(dir, 'sub'));
      symlinkSync(bigPolicy, join(dir, 'big.json'));
      writeFileSync(join(dir, 'extends.json'), JSON.stringify({ 'cfgscope-policy': 1, extends: [source === 'sub' || source.startsWith('/') ? source : `./${source}`] }));
      const args = command === 'boot-args' ? ['boot-args', '--kernel', source]
        : command === 'policy' ? ['policy', 'lint', source] : ['policy', 'lint', 'extends.json'];
      const run = await runCfgscope(args, { ...limits, cwd: dir });
      // None of these is a valid input: the answer is a coded error (65), soon.
      const problems = runProblems(run, [65]);
      return { problems, peakRssKb: run.peakRssKb, summary: `cfgscope ${args.join(' ')}` };
    }, {
      quickRuns: 3,
      maxRuns: 30,
      examples: [{ source: '/dev/zero', command: 'boot-args' }, { source: '/dev/zero', command: 'extends' }],
    });
  });
});
