// Who may connect (issue 12, class 2; docs/security.md): a web page of another origin, or a page
// reached through DNS rebinding (a name of the attacker's that resolves to 127.0.0.1), is refused
// with 403 before the websocket opens or the page is sent; the page's own origin, an
// `--allow-origin`, and clients that send no Origin (cfgscope watch, scripts) are served. The same
// server, so the same checks, behind `capture --listen`.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../cli/run-cli.js';
import { QEMU_BASIC, root } from './capture-server.js';
import { rawRequest, startServe, statusOf, upgradeRequest, type ServeProcess } from './raw-peer.js';
import { TestClient } from './test-client.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

/** The status of a websocket upgrade to /ws with these headers (101: the websocket opened). */
async function upgradeStatus(port: number, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  // A refused upgrade is answered and closed; an accepted one stays open: read up to its body's end.
  const res = await rawRequest(port, upgradeRequest('/ws', headers), { stopAt: (a) => a.startsWith('HTTP/1.1 101 ') ? a.includes('\r\n\r\n') : a.endsWith('(docs/security.md)\n') });
  const accepted = statusOf(res) === 101;
  return { status: statusOf(res), body: accepted ? '' : res.slice(res.indexOf('\r\n\r\n') + 4) };
}

describe('cfgscope serve on loopback, with --allow-origin', () => {
  let serve: ServeProcess;
  let own: string;
  beforeAll(async () => {
    serve = await startServe(QEMU_BASIC, '--allow-origin', 'http://LocalHost:3000/', '--allow-origin', 'https://dash.example');
    own = `127.0.0.1:${serve.port}`;
    await serve.replayed;
  });
  afterAll(() => { serve.child.kill('SIGTERM'); });

  it.each([
    ['a page of another origin', { Host: '127.0.0.1', Origin: 'http://evil.example' }, 'origin'],
    ['Origin null (a sandboxed frame, a file)', { Host: '127.0.0.1', Origin: 'null' }, 'origin'],
    ['the page\'s origin on another port', { Host: '127.0.0.1:7', Origin: 'http://127.0.0.1:8' }, 'origin'],
    ['https for the page\'s own host', { Host: '127.0.0.1', Origin: 'https://127.0.0.1' }, 'origin'],
    ['an allowed origin\'s scheme changed', { Host: '127.0.0.1', Origin: 'http://dash.example' }, 'origin'],
    ['a Host of the attacker\'s, no Origin', { Host: 'attacker.example' }, 'host'],
    ['DNS rebinding: the attacker\'s name as Host and Origin', { Host: 'attacker.example:7878', Origin: 'http://attacker.example:7878' }, 'host'],
    ['a public address as Host', { Host: '93.184.216.34' }, 'host'],
    ['a name under localhost\'s look-alike', { Host: 'localhost.attacker.example' }, 'host'],
  ])('refuses %s with 403 and says why', async (_what, headers, reason) => {
    const ws = await upgradeStatus(serve.port, headers);
    expect(ws.status).toBe(403);
    expect(ws.body).toMatch(new RegExp(`^cfgscope serve: 403 ${reason}: `));
    const page = await rawRequest(serve.port, `GET / HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}Connection: close\r\n\r\n`);
    expect(statusOf(page)).toBe(403);
  });

  it.each([
    ['the page\'s own origin', (own: string) => ({ Host: own, Origin: `http://${own}` })],
    ['the page by the name localhost', (own: string) => ({ Host: own.replace('127.0.0.1', 'LOCALHOST'), Origin: `http://${own.replace('127.0.0.1', 'localhost')}` })],
    ['the page by [::1]', (own: string) => ({ Host: own.replace('127.0.0.1', '[::1]'), Origin: `http://${own.replace('127.0.0.1', '[::1]')}` })],
    ['another loopback address', () => ({ Host: '127.1.2.3:80' })],
    ['an --allow-origin', (own: string) => ({ Host: own, Origin: 'http://localhost:3000' })],
    ['another --allow-origin', (own: string) => ({ Host: own, Origin: 'https://dash.example' })],
    ['no Origin and no port in Host (a script)', () => ({ Host: '127.0.0.1' })],
  ])('accepts %s', async (_what, headers) => {
    expect((await upgradeStatus(serve.port, headers(own))).status).toBe(101);
  });

  it('serves the page to its own origin, and a client without Origin the whole stream', async () => {
    const page = await fetch(`${serve.url}/`, { headers: { Origin: serve.url } });
    expect(page.status).toBe(200);
    const c = new TestClient(`ws://${own}/ws`);
    await c.next((m) => m.type === 'hello');
    c.send({ type: 'subscribe' });
    await c.next((m) => m.type === 'end');
    await c.close();
    const browserLike = new TestClient(`ws://${own}/ws`, { origin: serve.url });
    await browserLike.next((m) => m.type === 'hello');
    await browserLike.close();
  });

  it('cfgscope watch (no Origin) is served', async () => {
    const run = await runCli('watch', `ws://${own}/ws`, '--until-end');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/0000:02:00\.0 \[1b36:0010\]/);
  });
});

describe('refused options', () => {
  it.each(['evil.example', 'http://x.example/path', 'ftp://x.example', 'http://user@x.example'])('--allow-origin %s is SERVE_BAD_ORIGIN (exit 65)', async (origin) => {
    const run = await runCli('serve', QEMU_BASIC, '--listen', '127.0.0.1:0', '--allow-origin', origin);
    expect(run.code).toBe(65);
    expect(run.stderr).toMatch(/SERVE_BAD_ORIGIN/);
  });
});

describe('capture --listen', () => {
  it('makes the same checks', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'cfgscope-capserve-origin-')), 'live.ndjson');
    const child = spawn(process.execPath, [`${root}bin/cfgscope.js`, 'capture', '-o', out, '--no-preflight',
      '--bpftrace', `${root}test/support/recorded-bpftrace.mjs`, '--probe', `${root}test/fixtures/bpftrace/probe-phases.txt`,
      '--listen', '127.0.0.1:0', '--allow-origin', 'http://localhost:3000'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const port = await new Promise<number>((resolve) => child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /serving on http:\/\/127\.0\.0\.1:(\d+)\//.exec(stderr);
      if (m) resolve(Number(m[1]));
    }));
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect((await upgradeStatus(port, { Host: '127.0.0.1', Origin: 'http://evil.example' })).status).toBe(403);
    expect((await upgradeStatus(port, { Host: 'attacker.example' })).status).toBe(403);
    expect((await upgradeStatus(port, { Host: `127.0.0.1:${port}`, Origin: 'http://localhost:3000' })).status).toBe(101);
    expect((await upgradeStatus(port, { Host: `127.0.0.1:${port}` })).status).toBe(101);
    child.kill('SIGINT');
    expect(await exited).not.toBeNull();
  });
});
