// Exit codes (issue 12, class 4, the exit part): an error that is not a CfgscopeError is a bug of
// cfgscope's, reported as `cfgscope: internal error (INTERNAL): <message>` with exit 70 and no stack
// trace (unless CFGSCOPE_DEBUG=1), wherever it is raised: inside a command's promise chain, or
// outside it (a callback, an unawaited promise, an 'error' event: test/cli/faults/README.md).
// Exit 1 stays "violations found"; 64 usage; 65 bad input or output.
import { describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';

vi.setConfig({ testTimeout: 120_000 });

const root = new URL('../../', import.meta.url).pathname;
const bin = `${root}bin/cfgscope.js`;
const capture = `${root}replays/qemu-6.1-q35-basic/kernel.capture.ndjson`;

/** `serve` runs until stopped: the injected fault is what must end it. Bounded in case it does not. */
const serveWithFault = (fault: string, env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath,
  ['--import', `${root}test/cli/faults/${fault}`, bin, 'serve', capture, '--listen', '127.0.0.1:0', '--fast'],
  { encoding: 'utf8', timeout: 100_000, env: { ...process.env, ...env, CFGSCOPE_DEBUG: env['CFGSCOPE_DEBUG'] ?? '' } });

describe('errors raised outside the command\'s promise chain reach the top-level handler', () => {
  const faults: [string, string][] = [
    ['throw-in-timer.mjs', 'injected fault in a callback'],
    ['unhandled-rejection.mjs', 'injected unhandled rejection'],
    ['emitter-error.mjs', 'injected error event'],
  ];
  for (const [fault, message] of faults) {
    it(`${fault}: internal error (INTERNAL), exit 70, no stack trace`, () => {
      const r = serveWithFault(fault);
      expect(r.signal).toBeNull(); // ended by the fault, not by the test's time limit
      expect(r.stderr).toContain(`cfgscope: internal error (INTERNAL): ${message}\n`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.status).toBe(70);
    });
  }

  it('CFGSCOPE_DEBUG=1 adds the stack trace', () => {
    const r = serveWithFault('throw-in-timer.mjs', { CFGSCOPE_DEBUG: '1' });
    expect(r.stderr).toContain('cfgscope: internal error (INTERNAL): injected fault in a callback\nTypeError: injected fault in a callback\n    at ');
    expect(r.status).toBe(70);
  });
});

describe('errors inside a command (main)', () => {
  it('a bug in an output sink: INTERNAL, 70, main() resolves instead of rejecting', async () => {
    let stderr = '';
    const code = await main(['node', 'cfgscope', 'diff', capture, `${root}replays/lab-kexec/kernel.capture.ndjson`], {
      stdout: () => { throw new TypeError('sink bug'); },
      stderr: (t) => { stderr += t; },
    });
    expect(stderr).toBe('cfgscope: internal error (INTERNAL): sink bug\n');
    expect(code).toBe(70);
  });

  it('a usage error (OUTPUT_IS_INPUT) is 64, a data error 65, violations 1', async () => {
    const io = { stdout: () => {}, stderr: () => {} };
    // A copy: before the fix this emptied its input.
    const copy = join(mkdtempSync(join(tmpdir(), 'cfgscope-exit-')), 'x.ndjson');
    copyFileSync(capture, copy);
    expect(await main(['node', 'cfgscope', 'import', copy, '-o', copy], io)).toBe(64);
    expect(readFileSync(copy)).toEqual(readFileSync(capture));
    expect(await main(['node', 'cfgscope', 'replay', `${root}no-such-file`], io)).toBe(65);
    const r = spawnSync(process.execPath, [bin, 'check', capture, '--policy', 'luo-strict', '--preserve', '0000:01:00.0'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
  });
});
