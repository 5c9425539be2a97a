// Silently incomplete output (issue 12, class 6, first part), on the real CLI: a capture closed
// incomplete (trailer `complete: false`) or cut off (no trailer) stays incomplete when re-imported,
// in either encoding, and check and replay say so on standard error (their --json `end` object
// carries it as `trailer`). A capture killed with SIGKILL while it is written is such a capture.
import { describe, expect, it, vi } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

vi.setConfig({ testTimeout: 120_000 });

const root = new URL('../../', import.meta.url).pathname;
const bin = `${root}bin/cfgscope.js`;
const capture = `${root}replays/qemu-6.1-q35-basic/kernel.capture.ndjson`;
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 60_000 });
const dir = mkdtempSync(join(tmpdir(), 'cfgscope-inc-'));

const text = readFileSync(capture, 'utf8');
const closedIncomplete = join(dir, 'closed-incomplete.ndjson');
writeFileSync(closedIncomplete, text.replace(/"complete":true}\n$/, '"complete":false}\n'));
const cutOff = join(dir, 'cut-off.ndjson');
writeFileSync(cutOff, text.slice(0, text.lastIndexOf('{"t":"trailer"')));

const trailerOf = (file: string): { complete: boolean; counts: { accesses: number } } => {
  const last = readFileSync(file, 'utf8').trimEnd().split('\n').at(-1)!;
  return JSON.parse(last) as { complete: boolean; counts: { accesses: number } };
};
/** The trailer of a capture in any encoding, read back through an NDJSON import. */
const trailerAnyEncoding = (file: string): { complete: boolean } => {
  const back = join(dir, `back-${Math.random().toString(16).slice(2)}.ndjson`);
  expect(run('import', file, '-o', back).status).toBe(0);
  return trailerOf(back);
};

describe('re-importing an incomplete capture keeps it incomplete', () => {
  it('the inputs are what they say: the original is complete', () => {
    expect(trailerOf(capture).complete).toBe(true);
    expect(trailerOf(closedIncomplete).complete).toBe(false);
    expect(cutOff.endsWith('.ndjson') && !readFileSync(cutOff, 'utf8').includes('"t":"trailer"')).toBe(true);
  });

  for (const [name, input, why] of [['closed incomplete', closedIncomplete, 'its trailer says complete: false'], ['cut off', cutOff, 'no trailer: it was cut off']] as const) {
    for (const ext of ['ndjson', 'cfgcap']) {
      it(`${name} -> .${ext}: complete false, and said on stderr`, () => {
        const out = join(dir, `reimported-${name.replace(' ', '-')}.${ext}`);
        const r = run('import', input, '-o', out);
        expect(r.status).toBe(0);
        expect(r.stderr).toContain(`${input} is an INCOMPLETE capture (${why}); ${out} says so too (trailer complete: false)`);
        expect(trailerAnyEncoding(out).complete).toBe(false);
        // And once more through the packed encoding and back: still incomplete.
        const again = join(dir, `again-${name.replace(' ', '-')}.${ext}`);
        expect(run('import', out, '-o', again).status).toBe(0);
        expect(trailerAnyEncoding(again).complete).toBe(false);
      });
    }
  }

  it('a complete capture stays complete; a raw trace (no trailer by nature) is complete', () => {
    const out = join(dir, 'complete.cfgcap');
    const r = run('import', capture, '-o', out);
    expect(r.stderr).not.toContain('INCOMPLETE');
    expect(trailerAnyEncoding(out).complete).toBe(true);
    const fromRaw = join(dir, 'raw.ndjson');
    const r2 = run('import', `${root}test/fixtures/qemu-6.1-q35-basic/qemu-trace.log`, '-o', fromRaw);
    expect(r2.stderr).not.toContain('INCOMPLETE');
    expect(trailerOf(fromRaw).complete).toBe(true);
  });
});

describe('check and replay say when a capture is incomplete', () => {
  const cases = [
    [closedIncomplete, 'incomplete', 'its trailer says complete: false (its writer was interrupted)'],
    [cutOff, 'missing', 'it has no trailer (cut off: a crash, kill -9 or a full disk)'],
  ] as const;
  for (const [file, state, why] of cases) {
    it(`check on a capture whose trailer is ${state}`, () => {
      const r = run('check', file, '--policy', 'luo-default', '--preserve', '0000:01:00.0');
      expect(r.stderr).toContain(`cfgscope check: WARNING: ${file} is an INCOMPLETE capture: ${why}`);
      const j = run('check', '--json', file, '--policy', 'luo-default', '--preserve', '0000:01:00.0');
      const end = JSON.parse(j.stdout.trimEnd().split('\n').at(-1)!) as { type: string; trailer: string };
      expect(end).toMatchObject({ type: 'end', trailer: state });
      expect(j.stderr).toContain('INCOMPLETE capture');
    });
    it(`replay on a capture whose trailer is ${state}`, () => {
      const r = run('replay', file);
      expect(r.status).toBe(0);
      expect(r.stderr).toContain(`cfgscope replay: WARNING: ${file} is an INCOMPLETE capture: ${why}`);
    });
  }

  it('report says it too', () => {
    const r = run('report', cutOff, '--policy', 'luo-default', '--preserve', '0000:01:00.0');
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`cfgscope report: WARNING: ${cutOff} is an INCOMPLETE capture: it has no trailer`);
  });

  it('nothing is said of a complete capture or of a raw trace', () => {
    expect(run('check', capture, '--policy', 'luo-default').stderr).not.toContain('INCOMPLETE');
    expect(run('replay', `${root}test/fixtures/qemu-6.1-q35-basic/qemu-trace.log`).stderr).not.toContain('INCOMPLETE');
  });
});

describe('a live capture killed with SIGKILL', () => {
  it('leaves a capture that reads whole and is said to be cut off', async () => {
    const out = join(dir, 'killed.ndjson');
    const recording = `${root}test/fixtures/bpftrace/probe-phases.txt`;
    // Its own process group, so SIGKILL reaches cfgscope and the stand-in tracer together (as a
    // machine's crash or an OOM kill of the session would) and no tracer is left behind.
    const child = spawn(process.execPath, [bin, 'capture', '-o', out, '--no-preflight', '--bpftrace', `${root}test/support/recorded-bpftrace.mjs`, '--probe', recording],
      { stdio: 'ignore', detached: true });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, s) => r(s)));
    // Killed once the file holds accesses: the recorded tracer waits for SIGINT after its events, so it is still running.
    let seen = 0;
    for (let i = 0; i < 3000 && seen < 50; i++) {
      await new Promise((r) => setTimeout(r, 20));
      try { seen = (readFileSync(out, 'utf8').match(/"t":"access"/g) ?? []).length; } catch { seen = 0; }
    }
    expect(seen).toBeGreaterThanOrEqual(50);
    process.kill(-child.pid!, 'SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const lines = readFileSync(out, 'utf8').split('\n');
    expect(lines.some((l) => l.includes('"t":"trailer"'))).toBe(false);
    const check = run('check', out, '--policy', 'luo-default');
    expect(check.status).toBe(0);
    expect(check.stderr).toContain(`${out} is an INCOMPLETE capture: it has no trailer`);
    const back = join(dir, 'killed-reimported.ndjson');
    expect(run('import', out, '-o', back).status).toBe(0);
    expect(trailerOf(back).complete).toBe(false);
    expect(trailerOf(back).counts.accesses).toBeGreaterThanOrEqual(50);
  });
});
