// Requests and messages that once stopped `cfgscope serve` with one packet (issue 12, class 1), and
// their kin: request targets the URL parser rejects, malformed percent-encodings where the token is
// looked for, deeply nested and oversized JSON, reply ids that are not small primitives. Each is
// sent to a real serve process; each gets a 400/401 or a documented close code, and the process is
// still there and serves a whole stream to a client afterwards.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { QEMU_BASIC } from './capture-server.js';
import { clientFrame, rawRequest, startServe, statusOf, upgradeRequest, type ServeProcess } from './raw-peer.js';
import { TestClient } from './test-client.js';

// Real processes and sockets on a machine shared with other jobs: generous limits, never timing assertions.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const wsOf = (s: ServeProcess, query = ''): string => `${s.url.replace(/^http/, 'ws')}/ws${query}`;

/** The process is alive, and a new client reads the whole stream and gets a pong. */
async function stillServes(s: ServeProcess, query = ''): Promise<void> {
  expect(s.child.exitCode).toBeNull();
  const c = new TestClient(wsOf(s, query));
  const hello = await c.next((m) => m.type === 'hello');
  expect(hello['ended']).toBe(true);
  c.send({ type: 'subscribe' });
  const end = await c.next((m) => m.type === 'end');
  expect(c.events().map((m) => m.seq)).toEqual(Array.from({ length: end.seq }, (_, i) => i + 1));
  c.send({ type: 'ping', id: 7 });
  expect(await c.next((m) => m.type === 'pong')).toMatchObject({ id: 7 });
  await c.close();
}

const get = (target: string, headers = 'Host: 127.0.0.1\r\n'): string => `GET ${target} HTTP/1.1\r\n${headers}Connection: close\r\n\r\n`;

describe('without a token', () => {
  let serve: ServeProcess;
  beforeAll(async () => {
    serve = await startServe(QEMU_BASIC);
    await serve.replayed;
  });
  afterAll(() => { serve.child.kill('SIGTERM'); });

  it.each([
    ['GET //', get('//'), 404],
    ['GET //[', get('//['), 404],
    ['GET //127.0.0.1/index.html (a path, not a host)', get('//127.0.0.1/index.html'), 404],
    ['GET ///x', get('///x'), 404],
    ['a proxy\'s absolute URL', get('http://127.0.0.1/'), 400],
    ['GET *', get('*'), 400],
    ['a bad percent-encoding in the path', get('/%E0%A4%A'), 404],
    ['a bad percent-encoding in the query', get('/?token=%E0%A4%A&x=%'), 200],
    ['a request line the HTTP parser rejects', 'GET / HTTP/1.1 junk\r\nHost: 127.0.0.1\r\n\r\n', 400],
    ['a header the HTTP parser rejects', 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX: a\u0000b\r\n\r\n', 400],
    ['an upgrade to //', upgradeRequest('//'), 404],
    ['an upgrade to //[', upgradeRequest('//['), 404],
    ['an upgrade to an absolute URL', upgradeRequest('http://127.0.0.1/ws'), 400],
    ['an upgrade without a key', 'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n', 400],
    ['an upgrade elsewhere', upgradeRequest('/nope'), 404],
  ])('%s: %d, and the server goes on', async (_what, request, status) => {
    expect(statusOf(await rawRequest(serve.port, request))).toBe(status);
    await stillServes(serve);
  });

  const nested = (depth: number): string => `{"type":"ping","id":${'['.repeat(depth)}${']'.repeat(depth)}}`;
  it.each([
    ['an id nested 30,000 deep (within maxPayload)', nested(30_000), 4400],
    ['an id nested 100,000 deep (over maxPayload)', nested(100_000), 1009],
    ['a subscribe nested too deep', '{"type":"subscribe","kinds":[[[[["access"]]]]]}', 4400],
    ['an object id', '{"type":"ping","id":{"a":[1,2]}}', 4422],
    ['a long id', JSON.stringify({ type: 'ping', id: 'x'.repeat(129) }), 4422],
    ['an oversized message', JSON.stringify({ type: 'ping', pad: 'y'.repeat(70_000) }), 1009],
    ['brackets in strings do not count as depth, an unknown type still does', JSON.stringify({ type: '[[[[[[[[' }), 4404],
    ['a 60,000-character unknown kind (quoted in the close reason, cut to 123 bytes)', JSON.stringify({ type: 'subscribe', kinds: ['u'.repeat(60_000)] }), 4422],
  ])('%s: closed with %d, and the server goes on', async (_what, text, code) => {
    const bad = new TestClient(wsOf(serve));
    await bad.next((m) => m.type === 'hello');
    bad.send(text);
    const closed = await bad.closed;
    expect(closed.code).toBe(code);
    expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(123);
    expect(bad.messages.filter((m) => m.type === 'pong')).toEqual([]);
    await stillServes(serve);
  });

  it('invalid UTF-8 in a text frame: ws closes it with 1007, and the server goes on', async () => {
    const bad = new TestClient(wsOf(serve));
    await bad.next((m) => m.type === 'hello');
    // ws's own sender would refuse to send this; the frame is written to its socket by hand.
    (bad.ws as unknown as { _socket: NodeJS.WritableStream })._socket.write(clientFrame(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])));
    expect((await bad.closed).code).toBe(1007);
    await stillServes(serve);
  });

  it('echoes a good id, and only a subscription of known types without repeats', async () => {
    const c = new TestClient(wsOf(serve));
    await c.next((m) => m.type === 'hello');
    c.send({ type: 'ping', id: 'x'.repeat(128) });
    expect((await c.next((m) => m.type === 'pong'))['id']).toBe('x'.repeat(128));
    c.send({ type: 'subscribe', kinds: Array.from({ length: 4000 }, (_, i) => (i % 2 ? 'end' : 'header')) });
    expect((await c.next((m) => m.type === 'subscribed'))['filter']).toMatchObject({ kinds: ['header', 'end'] });
    await c.close();
  });
});

describe('with a token', () => {
  let serve: ServeProcess;
  beforeAll(async () => {
    serve = await startServe(QEMU_BASIC, '--token', 's3cret');
    await serve.replayed;
  });
  afterAll(() => { serve.child.kill('SIGTERM'); });

  it.each([
    ['cfgscope_token=%E0%A4%A'],
    ['cfgscope_token=%'],
    ['other=%zz; cfgscope_token=%E0%A4%A; cfgscope_token=s3cre%74x'],
  ])('a token cookie %s that does not decode is no token: 401 on the page, 4401 on the websocket', async (cookie) => {
    expect(statusOf(await rawRequest(serve.port, get('/', `Host: 127.0.0.1\r\nCookie: ${cookie}\r\n`)))).toBe(401);
    const ws = new TestClient(wsOf(serve), { headers: { cookie } });
    expect((await ws.closed).code).toBe(4401);
    await stillServes(serve, '?token=s3cret');
  });

  it('a bad percent-encoding in ?token= is a wrong token; a good cookie next to a bad one is taken', async () => {
    expect(statusOf(await rawRequest(serve.port, get('/?token=%E0%A4%A')))).toBe(401);
    expect(statusOf(await rawRequest(serve.port, get('//?token=s3cret')))).toBe(404);
    expect(statusOf(await rawRequest(serve.port, get('/', 'Host: 127.0.0.1\r\nCookie: cfgscope_token=%; cfgscope_token=s3cre%74\r\n')))).toBe(200);
    await stillServes(serve, '?token=s3cret');
  });
});
