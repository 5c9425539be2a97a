// `cfgscope serve` as a real process: prints where it listens, replays the capture (paced), keeps
// serving after the end, and closes cleanly on SIGINT (clients see 1001, exit status 0). A
// restarted server replaying the same file says the same stream id, so clients may resume.
import { describe, expect, it, vi } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { checkJson, QEMU_BASIC, root } from './capture-server.js';
import { TestClient } from './test-client.js';

// Real servers and sockets on a machine shared with other jobs: generous limits, never timing assertions.
vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

interface Running { child: ChildProcess; url: string; stderr: () => string; exit: Promise<number | null> }

async function startServe(...args: string[]): Promise<Running> {
  const child = spawn(process.execPath, [`${root}bin/cfgscope.js`, 'serve', QEMU_BASIC, '--policy', 'luo-default', '--preserve', '0000:02:00.0', '--listen', '127.0.0.1:0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exit = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /listening on (http:\/\/[^/\s]+)\//.exec(stderr);
      if (m) resolve(m[1]!);
    });
    void exit.then(() => reject(new Error(`serve exited: ${stderr}`)));
  });
  return { child, url, stderr: () => stderr, exit };
}

describe('cfgscope serve', () => {
  it('replays at --speed, serves the whole stream, and stops cleanly on SIGINT', async () => {
    const violations = checkJson(QEMU_BASIC, '0000:02:00.0').filter((l) => l['verdict'] === 'violation').length;
    const serve = await startServe('--speed', '40');
    const c = new TestClient(`${serve.url.replace('http', 'ws')}/ws`);
    const hello = await c.next((m) => m.type === 'hello');
    expect(hello['stream']).toMatchObject({ kind: 'replay', format: 'capture', speed: 40, policy: { preserved: [{ bdf: '0000:02:00.0' }] } });
    c.send({ type: 'subscribe' });
    const end = await c.next((m) => m.type === 'end');
    const events = c.events();
    expect(events.map((m) => m.seq)).toEqual(Array.from({ length: end.seq }, (_, i) => i + 1));
    expect(events.filter((m) => m.type === 'finding' && m['verdict'] === 'violation').length).toBe(violations);
    expect(c.messages.some((m) => m.type === 'gap')).toBe(false);

    // Still serving after the end: a late client reads it all.
    const late = new TestClient(`${serve.url.replace('http', 'ws')}/ws`);
    await late.next((m) => m.type === 'hello');
    late.send({ type: 'subscribe', violationsOnly: true });
    await late.next((m) => m.type === 'end');
    expect(late.events().filter((m) => m.type === 'finding').length).toBe(violations);

    serve.child.kill('SIGINT');
    expect((await c.closed).code).toBe(1001);
    expect((await late.closed).code).toBe(1001);
    expect(await serve.exit).toBe(0);
    expect(serve.stderr()).toMatch(/SIGINT: closed/);

    const again = await startServe('--fast');
    const c2 = new TestClient(`${again.url.replace('http', 'ws')}/ws`);
    const hello2 = await c2.next((m) => m.type === 'hello');
    expect((hello2['stream'] as { id: string }).id).toBe((hello['stream'] as { id: string }).id);
    again.child.kill('SIGTERM');
    expect(await again.exit).toBe(0);
  }, 30_000);
});
