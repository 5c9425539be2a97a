// Outputs never destroy inputs (issue 12, class 3): `import` and `report -o` with the output
// being the input (by the same path, another spelling, a symlink or a hard link), an existing
// file, a folder or a path in a missing folder, with good and bad inputs, sometimes killed with
// SIGKILL mid-write. The input's bytes never change; an existing output changes only when a
// command succeeds (or is killed after a complete new file replaced it); errors are coded, exit 65.
import fc from 'fast-check';
import { beforeAll, describe, it, vi } from 'vitest';
import { copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { digest, listFiles } from './case-files.js';
import { runCfgscope, ROOT } from './cli-process.js';
import { CHILD_RSS_LIMIT_KB, CHILD_TIMEOUT_MS, fuzzTestTimeout } from './fuzz-config.js';
import { fuzzProperty } from './fuzz-property.js';
import { runProblems, type Problem } from './invariants.js';

vi.setConfig({ testTimeout: fuzzTestTimeout(), hookTimeout: 120_000 });

const CAPTURE = join(ROOT, 'replays/lab-kexec/kernel.capture.ndjson');
const POLICY = ['--policy', 'luo-default', '--preserve', '0000:03:00.0'];
const limits = { timeoutMs: CHILD_TIMEOUT_MS, rssLimitKb: CHILD_RSS_LIMIT_KB };
let big: string;

beforeAll(() => {
  // A capture large enough that a SIGKILL can land while the output is being written: the real
  // capture with its accesses repeated (ids and stacks stay valid).
  const dir = mkdtempSync(join(tmpdir(), 'cfgscope-fuzz-outputs-'));
  big = join(dir, 'big.ndjson');
  const lines = readFileSync(CAPTURE, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('{"t":"trailer"'));
  const accesses = lines.filter((l) => l.startsWith('{"t":"access"'));
  writeFileSync(big, `${[...lines, ...Array.from({ length: 12 }, () => accesses).flat()].join('\n')}\n`);
});

const INPUTS = ['capture', 'big', 'not-a-capture', 'missing', 'dir'] as const;
const OUTPUTS = ['same', 'dot-same', 'dotdot-same', 'symlink-to-input', 'hardlink-to-input', 'existing', 'existing-packed', 'dir', 'missing-dir', 'new', 'new-packed'] as const;
type Output = typeof OUTPUTS[number];
const ALIASES_INPUT: ReadonlySet<Output> = new Set(['same', 'dot-same', 'dotdot-same', 'symlink-to-input', 'hardlink-to-input']);

describe('fuzz: outputs', () => {
  it('outputs-keep-inputs: no output path destroys an input or an existing file', async () => {
    const arb = fc.record({
      input: fc.constantFrom(...INPUTS),
      output: fc.constantFrom(...OUTPUTS),
      command: fc.constantFrom('import', 'import', 'report'),
      killAfterMs: fc.option(fc.integer({ min: 150, max: 2500 }), { freq: 3 }),
    });
    await fuzzProperty('outputs-keep-inputs', arb, async ({ input, output, command, killAfterMs }, dir) => {
      mkdirSync(join(dir, 'sub'));
      const inName = 'in.ndjson';
      const inPath = join(dir, inName);
      if (input === 'capture') copyFileSync(CAPTURE, inPath);
      if (input === 'big') copyFileSync(big, inPath);
      if (input === 'not-a-capture') writeFileSync(inPath, 'hello\nthis is no trace\n');
      if (input === 'dir') mkdirSync(inPath);
      writeFileSync(join(dir, 'other.ndjson'), 'precious bytes\n');
      writeFileSync(join(dir, 'other.cfgcap'), 'precious packed bytes\n');
      const outArg: Record<Output, string> = {
        'same': inPath, 'dot-same': `./${inName}`, 'dotdot-same': `sub/../${inName}`, 'symlink-to-input': 'link.ndjson',
        'hardlink-to-input': 'hard.ndjson', 'existing': 'other.ndjson', 'existing-packed': 'other.cfgcap', 'dir': 'sub',
        'missing-dir': 'nope/out.ndjson', 'new': 'new.ndjson', 'new-packed': 'new.cfgcap',
      };
      if (output === 'symlink-to-input') symlinkSync(inName, join(dir, 'link.ndjson'));
      if (output === 'hardlink-to-input' && input !== 'missing' && input !== 'dir') linkSync(inPath, join(dir, 'hard.ndjson'));
      const outPath = resolve(dir, outArg[output]);
      const filesBefore = listFiles(dir);
      const inBefore = digest(inPath);
      const outBefore = existsSync(outPath) ? digest(outPath) : 'missing';
      const args = command === 'import' ? ['import', inName, '-o', outArg[output]] : ['report', ...POLICY, inName, '-o', outArg[output]];
      const run = await runCfgscope(args, { ...limits, cwd: dir, ...(killAfterMs !== null ? { killAfterMs } : {}) });
      const killed = run.signal === 'SIGKILL' && !run.timedOut && !run.overMemory;
      const problems: Problem[] = killed ? runProblems({ ...run, code: 0 }, [0]) : runProblems(run, [0, 64, 65]);
      const inAfter = digest(inPath);
      if (inAfter !== inBefore) problems.push({ kind: 'input-destroyed', detail: `${command} -o ${output}: the input changed (${inAfter === 'missing' ? 'deleted' : `now ${readFileSync(inPath).length} bytes`})` });
      const isInput = ALIASES_INPUT.has(output) && (input === 'capture' || input === 'big' || input === 'not-a-capture');
      if (isInput && run.code === 0) problems.push({ kind: 'output-is-input-accepted', detail: `${command} -o ${output}: writing over its own input exited 0` });
      const outAfter = existsSync(outPath) ? digest(outPath) : 'missing';
      if (!isInput && outBefore !== 'missing' && outBefore !== 'dir' && outAfter !== outBefore) {
        // Whole: written to its end (the trailer last). `complete` in that trailer is the input's
        // (false for the `big` input, which has no trailer), not whether the output was whole.
        const complete = outAfter !== 'missing' && outAfter !== 'dir' && /\{"t":"trailer".*"complete":(true|false)\}\n$/.test(readFileSync(outPath, 'utf8').slice(-400));
        if (run.code !== 0 && !(killed && complete)) problems.push({ kind: 'output-destroyed', detail: `${command} -o ${output} ${killed ? `killed after ${killAfterMs} ms` : `exit ${run.code}`}: the existing file was replaced by ${outAfter === 'missing' ? 'nothing' : `${readFileSync(outPath).length} bytes`}` });
      }
      if (!killed && (output === 'dir' || output === 'missing-dir') && input === 'capture' && run.code !== 65) {
        problems.push({ kind: 'output-error-exit', detail: `${command} -o ${output}: exit ${run.code}, not 65 with a code` });
      }
      if (!killed) {
        const expected = new Set([...filesBefore, ...(run.code === 0 ? [realpathSync(dir) === dir ? outArg[output].replace(/^\.\//, '') : ''] : [])]);
        const left = listFiles(dir).filter((f) => !expected.has(f) && !(run.code === 0 && resolve(dir, f) === outPath));
        if (left.length > 0) problems.push({ kind: 'leftover-files', detail: `${command} -o ${output} exit ${run.code}: left ${left.join(', ')}` });
      }
      return { problems, peakRssKb: run.peakRssKb, summary: `cd <case> && cfgscope ${args.join(' ')}  (input: ${input}${killAfterMs !== null ? `, SIGKILL after ${killAfterMs} ms` : ''})` };
    }, {
      quickRuns: 5,
      // The issue's examples: import x -o x; a failed import onto an existing file; report -o a folder.
      examples: [
        { input: 'capture', output: 'same', command: 'import', killAfterMs: null },
        { input: 'not-a-capture', output: 'existing', command: 'import', killAfterMs: null },
        { input: 'capture', output: 'dir', command: 'report', killAfterMs: null },
      ],
    });
  });
});
