// What the server refuses, and that refusing one client never stops it serving the others:
// a non-loopback bind without a token, a bad token, malformed, unknown, invalid and oversized
// client messages (each with the close code docs/protocol.md lists).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CfgscopeError } from '../../src/model/errors.js';
import { serveEvents, type ServeHandle } from '../../src/server/serve-events.js';
import { runCli } from '../cli/run-cli.js';
import { QEMU_BASIC, serveCapture, wsUrl } from './capture-server.js';
import { TestClient } from './test-client.js';
import { EMPTY } from 'rxjs';

// Real servers and sockets on a machine shared with other jobs: generous limits, never timing assertions.
vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

/** A client that reads the whole stream: proof the server still serves. */
async function servesWhole(s: ServeHandle, query = ''): Promise<void> {
  const c = new TestClient(wsUrl(s, query));
  await c.next((m) => m.type === 'hello');
  c.send({ type: 'subscribe' });
  await c.next((m) => m.type === 'end');
  expect(c.events().length).toBe(s.stats().head);
  c.send({ type: 'ping', id: 'still there' });
  expect(await c.next((m) => m.type === 'pong')).toMatchObject({ id: 'still there', seq: s.stats().head });
  await c.close();
}

describe('binding', () => {
  it('refuses a non-loopback bind without a token, before listening', async () => {
    const err = await serveEvents({ source: EMPTY, meta: { id: 'x', kind: 'live', policy: null }, listen: { host: '0.0.0.0', port: 0 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CfgscopeError);
    expect((err as CfgscopeError).code).toBe('SERVE_TOKEN_REQUIRED');
    const run = await runCli('serve', QEMU_BASIC, '--listen', '0.0.0.0:0');
    expect(run.code).toBe(65);
    expect(run.stderr).toMatch(/SERVE_TOKEN_REQUIRED/);
  });

  it('says what is wrong with --listen and --speed', async () => {
    expect((await runCli('serve', QEMU_BASIC, '--listen', 'localhost')).stderr).toMatch(/SERVE_BAD_LISTEN/);
    expect((await runCli('serve', QEMU_BASIC, '--speed', '-2')).stderr).toMatch(/SERVE_BAD_SPEED/);
  });

  it('reports an address in use as SERVE_LISTEN_FAILED', async () => {
    const first = await serveCapture(QEMU_BASIC, '0000:02:00.0');
    const err = await serveCapture(QEMU_BASIC, '0000:02:00.0', { listen: { host: '127.0.0.1', port: first.port } }).catch((e: unknown) => e);
    expect((err as CfgscopeError).code).toBe('SERVE_LISTEN_FAILED');
    await first.close();
  });
});

describe('with a token', () => {
  let server: ServeHandle;
  beforeAll(async () => {
    server = await serveCapture(QEMU_BASIC, '0000:02:00.0', { token: 's3cret-token' });
    await server.ended;
  });
  afterAll(async () => { await server.close(); });

  it('closes a websocket with no token or a wrong one with 4401, and serves the right one', async () => {
    for (const query of ['', '?token=wrong', '?token=s3cret-token-but-longer']) {
      const c = new TestClient(wsUrl(server, query));
      expect(await c.closed).toMatchObject({ code: 4401 });
      expect(c.messages).toEqual([]);
    }
    const bearer = new TestClient(wsUrl(server), { headers: { Authorization: 'Bearer wrong' } });
    expect((await bearer.closed).code).toBe(4401);
    await servesWhole(server, '?token=s3cret-token');
    const ok = new TestClient(wsUrl(server), { headers: { Authorization: 'Bearer s3cret-token' } });
    await ok.next((m) => m.type === 'hello');
    await ok.close();
  });

  it('asks for the token on the page too, and sets the cookie the page\'s own requests use', async () => {
    expect((await fetch(`${server.url}/`)).status).toBe(401);
    expect((await fetch(`${server.url}/?token=nope`)).status).toBe(401);
    const page = await fetch(`${server.url}/?token=s3cret-token`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const cookie = page.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^cfgscope_token=s3cret-token; HttpOnly; SameSite=Strict; Path=\//);
    expect((await fetch(`${server.url}/index.html`, { headers: { cookie: cookie.split(';')[0]! } })).status).toBe(200);
    const ws = new TestClient(wsUrl(server), { headers: { cookie: cookie.split(';')[0]! } });
    await ws.next((m) => m.type === 'hello');
    await ws.close();
  });
});

describe('client messages the server cannot take', () => {
  let server: ServeHandle;
  beforeAll(async () => {
    server = await serveCapture(QEMU_BASIC, '0000:02:00.0', { maxPayload: 4096 });
    await server.ended;
  });
  afterAll(async () => { await server.close(); });

  it.each([
    ['not JSON', '{"type":"subscribe"', 4400],
    ['JSON but not an object', '[1,2]', 4400],
    ['an object without a type', '{"from":1}', 4400],
    ['an unknown type', '{"type":"unsubscribe-all"}', 4404],
    ['an unknown type with a long non-ASCII name', JSON.stringify({ type: 'é'.repeat(200) }), 4404],
    ['an unknown kind with a long non-ASCII name', JSON.stringify({ type: 'subscribe', kinds: ['ü'.repeat(300)] }), 4422],
    ['a bad from', '{"type":"subscribe","from":0}', 4422],
    ['an unknown kind', '{"type":"subscribe","kinds":["access","nope"]}', 4422],
    ['a bad bdf', '{"type":"subscribe","bdf":"02:00"}', 4422],
    ['an unknown severity', '{"type":"subscribe","minSeverity":"fatal"}', 4422],
    ['an oversized message', JSON.stringify({ type: 'subscribe', pad: 'x'.repeat(5000) }), 1009],
  ])('%s: coded close, and the server keeps serving', async (_what, text, code) => {
    const other = new TestClient(wsUrl(server));
    await other.next((m) => m.type === 'hello');
    const bad = new TestClient(wsUrl(server));
    await bad.next((m) => m.type === 'hello');
    bad.send(text);
    expect((await bad.closed).code).toBe(code);
    // A client connected before goes on as if nothing happened, and new ones are served.
    other.send({ type: 'subscribe' });
    await other.next((m) => m.type === 'end');
    expect(other.events().length).toBe(server.stats().head);
    await other.close();
    await servesWhole(server);
  });

  it('a binary frame is malformed (4400)', async () => {
    const bad = new TestClient(wsUrl(server));
    await bad.next((m) => m.type === 'hello');
    bad.ws.send(Buffer.from('{"type":"subscribe"}'));
    expect((await bad.closed).code).toBe(4400);
    await servesWhole(server);
  });
});

describe('static files', () => {
  let server: ServeHandle;
  beforeAll(async () => { server = await serveCapture(QEMU_BASIC, '0000:02:00.0'); });
  afterAll(async () => { await server.close(); });

  it('serves web/ and nothing outside it', async () => {
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/);
    for (const path of ['/%2e%2e/package.json', '/..%2fpackage.json', '/nope.js', '/%00']) {
      expect((await fetch(`${server.url}${path}`)).status).toBe(404);
    }
    expect((await fetch(`${server.url}/`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${server.url}/`, { method: 'HEAD' })).status).toBe(200);
  });
});
