// `capture --listen`: a live capture (recorded real bpftrace output replayed by a real process, as in
// capture.test.ts) served over a real websocket. A client sees violations before the tracer is
// stopped; a client that joins late resumes from seq 1 out of the capture file still being written
// and ends up with exactly the same events as the one that watched from the start.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestClient, type Msg } from '../server/test-client.js';

const root = new URL('../../', import.meta.url).pathname;
const bin = `${root}bin/cfgscope.js`;
const recorded = `${root}test/support/recorded-bpftrace.mjs`;
const fixture = `${root}test/fixtures/bpftrace/probe-phases.txt`;

describe('capture --listen', () => {
  it('streams violations while bpftrace runs; a late client resumes from the growing capture file without loss', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfgscope-capserve-'));
    const out = join(dir, 'live.ndjson');
    const child = spawn(process.execPath, [bin, 'capture', '-o', out, '--no-preflight', '--bpftrace', recorded, '--probe', fixture,
      '--preserve', '0000:01:00.0', '--listen', '127.0.0.1:0',
      // A ring far smaller than the stream: the late client's history must come from the file.
      '--serve-ring', '50'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const url = new Promise<string>((resolve) => child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /serving on (http:\/\/\S+?)\/ /.exec(stderr);
      if (m) resolve(m[1]!.replace(/^http/, 'ws'));
    }));
    child.stdout.resume();
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    const ws = `${await url}/ws`;

    const early = new TestClient(ws);
    await early.next((m) => m.type === 'hello');
    early.send({ type: 'subscribe', from: 1 });
    const first = await early.next((m) => m.type === 'finding' && m['verdict'] === 'violation');
    // The tracer is still running (it waits for SIGINT): the violation came live.
    expect(child.exitCode).toBeNull();
    expect(first).toMatchObject({ bdf: '0000:01:00.0', severity: 'error' });

    // Wait until everything before bpftrace's END is through, then a second client joins from seq 1.
    await early.next((m) => m.type === 'access' && m['line'] === lastEventLine());
    const late = new TestClient(ws);
    await late.next((m) => m.type === 'hello');
    late.send({ type: 'subscribe', from: 1 });
    await late.next((m) => m.type === 'caught-up');

    child.kill('SIGINT');
    const endOf = (c: TestClient): Promise<Msg> => c.next((m) => m.type === 'end');
    await Promise.all([endOf(early), endOf(late)]);
    expect(await exited).toBe(1); // violations at error severity

    const a = early.events();
    const b = late.events();
    expect(a.map((m) => m.seq)).toEqual(a.map((_, i) => i + 1));
    expect(b).toEqual(a);
    expect(a.filter((m) => m.type === 'finding' && m['verdict'] === 'violation')).toHaveLength(28);
    // The stream ends with the capture file's trailer: bpftrace was stopped cleanly.
    expect(a.at(-1)).toMatchObject({ type: 'end', trailer: 'complete' });
    // The capture file holds every access the clients saw.
    const accesses = readFileSync(out, 'utf8').split('\n').filter((l) => l.startsWith('{"t":"access"')).length;
    expect(a.filter((m) => m.type === 'access')).toHaveLength(accesses);
    await Promise.all([early.close(), late.close()]);
  }, 60_000);
});

describe('capture --serve, the old spelling of --listen (one meaning per option name: serve --listen)', () => {
  const start = (...extra: string[]): { exited: Promise<number | null>; stderr: () => string; child: ReturnType<typeof spawn>; out: string } => {
    const out = join(mkdtempSync(join(tmpdir(), 'cfgscope-capserve-')), 'live.ndjson');
    const child = spawn(process.execPath, [bin, 'capture', '-o', out, '--no-preflight', '--bpftrace', recorded, '--probe', fixture,
      '--preserve', '0000:01:00.0', ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    return { child, out, exited: new Promise((r) => child.on('exit', (c) => r(c))), stderr: () => stderr };
  };

  it('still serves, and says once on stderr that it is --listen now', async () => {
    const run = start('--serve', '127.0.0.1:0');
    const http = await new Promise<string>((resolve, reject) => {
      run.child.stderr!.on('data', () => {
        const m = /serving on (http:\/\/\S+?)\/ /.exec(run.stderr());
        if (m) resolve(m[1]!);
      });
      void run.exited.then(() => reject(new Error(run.stderr())));
    });
    expect((await fetch(`${http}/`)).status).toBe(200);
    // Stopped once the stand-in's recorded events are in the capture (a SIGINT before the tracer
    // runs is a died tracer, exit 65, under load).
    while (!readFileSync(run.out, 'utf8').includes('"t":"access"')) await new Promise((r) => setTimeout(r, 100));
    run.child.kill('SIGINT');
    expect([0, 1]).toContain(await run.exited);
    expect(run.stderr()).toContain('trailer complete: true');
    const said = run.stderr().split('\n').filter((l) => l.includes('OPTION_RENAMED'));
    expect(said).toEqual(['cfgscope capture: OPTION_RENAMED: --serve is spelled --listen now (as in every command); --serve 127.0.0.1:0 is taken as --listen 127.0.0.1:0']);
  }, 60_000);

  it('with --listen too is a usage error (exit 64) naming both', async () => {
    const run = start('--serve', '127.0.0.1:0', '--listen', '127.0.0.1:0');
    expect(await run.exited).toBe(64);
    expect(run.stderr()).toContain('OPTION_RENAMED: capture --serve 127.0.0.1:0 and --listen 127.0.0.1:0: --serve is the old spelling of --listen; give --listen only');
  }, 30_000);

  it('is not in --help; --listen is', async () => {
    const help = await new Promise<string>((resolve) => {
      const c = spawn(process.execPath, [bin, 'capture', '--help'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      c.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
      c.on('exit', () => resolve(out));
    });
    expect(help).toContain('--listen <host:port>');
    expect(help).not.toMatch(/--serve\b(?!-ring)/);
  });
});

/** Line number of the last `ev` line before the END banner in the recorded output. */
function lastEventLine(): number {
  const lines = readFileSync(fixture, 'utf8').split('\n');
  const end = lines.findIndex((l) => l.startsWith('cfgscope-bpftrace v1 end'));
  for (let i = end; i >= 0; i--) if (lines[i]!.startsWith('ev ')) return i + 1;
  throw new Error('no event line');
}
