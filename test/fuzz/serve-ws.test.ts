// Hostile websocket clients against a real `cfgscope serve`:
// serve-messages: any sequence of client messages gets answers or a documented close code, and
//   the server keeps serving everyone else (alive, no stack trace, bounded memory);
// serve-origin: a connection from another site's page (Origin) or a DNS-rebound name (Host) never
//   gets the stream, while the page's own origin does;
// serve-ping-flood: a client that sends and never reads cannot grow the server's memory.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { peakRssOf, rssOf } from './cli-process.js';
import { fuzzSettings, fuzzTestTimeout } from './fuzz-config.js';
import { fuzzProperty } from './fuzz-property.js';
import type { Problem } from './invariants.js';
import { clientMessage, DOCUMENTED_CLOSES, FOREIGN_HOSTS, FOREIGN_ORIGINS, type ClientMessage } from './serve-arbitraries.js';
import { healthy, ServeProcess } from './serve-harness.js';

vi.setConfig({ testTimeout: fuzzTestTimeout(), hookTimeout: 120_000 });

const servers = { open: new ServeProcess(null), token: new ServeProcess('fuzz-token-1234') };

beforeAll(async () => {
  await Promise.all([servers.open.start(), servers.token.start()]);
  for (const s of Object.values(servers)) expect(await healthy(s)).toBeNull();
});
afterAll(async () => { await Promise.all([servers.open.stop(), servers.token.stop()]); });

function sendMessage(ws: WebSocket, m: ClientMessage): void {
  if (m.kind === 'text') ws.send(m.text);
  else if (m.kind === 'binary') ws.send(Buffer.from(m.bytes), { binary: true });
  else if (m.kind === 'invalid-utf8') ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
  else ws.send(`{"type":"ping","id":"${'x'.repeat(70_000)}"}`);
}

interface Session { hello: boolean; close: number | null; messages: number; error: string | null }

/** Connects, waits for hello, sends the messages, waits for the answers (or a close) for `settleMs`. */
function session(url: string, msgs: readonly ClientMessage[], opts: WebSocket.ClientOptions, settleMs: number): Promise<Session> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, opts);
    const r: Session = { hello: false, close: null, messages: 0, error: null };
    const finish = (): void => { clearTimeout(timer); ws.removeAllListeners('close'); ws.terminate(); resolve(r); };
    let timer = setTimeout(finish, 10_000);
    ws.on('message', (d) => {
      r.messages++;
      if (!r.hello && (JSON.parse(d.toString()) as { type: string }).type === 'hello') {
        r.hello = true;
        for (const m of msgs) sendMessage(ws, m);
        clearTimeout(timer);
        timer = setTimeout(finish, settleMs);
      }
    });
    ws.on('unexpected-response', (_req, res) => { r.error = `HTTP ${res.statusCode}`; finish(); });
    ws.on('error', (e) => { r.error = e.message; });
    ws.on('close', (code) => { r.close = code; finish(); });
  });
}

describe('fuzz: serve over websocket', () => {
  it('serve-messages: hostile client messages get a documented close and never hurt the server', async () => {
    const maxDepth = fuzzSettings().quick ? 30_000 : 32_000;
    const arb = fc.record({ server: fc.constantFrom('open' as const, 'token' as const), msgs: fc.array(clientMessage(maxDepth), { minLength: 1, maxLength: 5 }) });
    await fuzzProperty('serve-messages', arb, async ({ server, msgs }) => {
      const s = servers[server];
      await s.ensure();
      const from = s.stderr.length;
      const r = await session(s.wsUrl(), msgs, {}, 1500);
      const problems: Problem[] = [];
      if (!r.hello) problems.push({ kind: 'no-hello', detail: `a well-formed client got no hello (${r.error ?? r.close})` });
      if (r.close !== null && !DOCUMENTED_CLOSES.has(r.close)) problems.push({ kind: `close-${r.close}`, detail: `the hostile client was closed with ${r.close}, not a documented code` });
      problems.push(...await s.problems('client messages', from));
      const show = (m: ClientMessage): string => (m.kind === 'text' ? JSON.stringify(m.text.length > 200 ? `${m.text.slice(0, 100)}…(${m.text.length} chars)…${m.text.slice(-40)}` : m.text) : m.kind);
      return { problems, peakRssKb: peakRssOf(s.pid), summary: `${server} server: ${msgs.map(show).join(' ; ')} -> ${r.messages} messages, close ${r.close}` };
    }, {
      quickRuns: 6,
      // The issue's example: a deeply nested ping id that the server echoes and re-serialises.
      examples: [{ server: 'open', msgs: [{ kind: 'text', text: `{"type":"ping","id":${'['.repeat(20_000)}${']'.repeat(20_000)}}` }] }],
    });
  });

  it('serve-origin: another site (Origin) or a rebound name (Host) never gets the stream', async () => {
    const s = servers.open;
    await s.ensure();
    // Not vacuous: the page's own origin and a client without Origin (a CLI) get hello.
    for (const origin of [`http://127.0.0.1:${s.port}`, undefined]) {
      const own = await session(s.wsUrl(), [], origin ? { origin } : {}, 10);
      expect(own.hello, `origin ${origin}`).toBe(true);
    }
    const arb = fc.record({ origin: fc.option(fc.constantFrom(...FOREIGN_ORIGINS)), host: fc.option(fc.constantFrom(...FOREIGN_HOSTS)) })
      .filter((x) => x.origin !== null || x.host !== null);
    await fuzzProperty('serve-origin', arb, async ({ origin, host }) => {
      await s.ensure();
      const from = s.stderr.length;
      const opts: WebSocket.ClientOptions = { ...(origin ? { origin } : {}), ...(host ? { headers: { Host: host } } : {}) };
      const r = await session(s.wsUrl(), [], opts, 10);
      const problems: Problem[] = [];
      // The detail names the kind of stranger only, so that one missing check is one failure class.
      if (r.hello) problems.push({ kind: 'foreign-accepted', detail: `a foreign ${origin && host ? 'Origin and Host' : origin ? 'Origin' : 'Host'} got hello, i.e. the stream` });
      problems.push(...await s.problems('a foreign connection', from));
      return { problems, peakRssKb: peakRssOf(s.pid), summary: `Origin: ${origin ?? '(none)'}; Host: ${host ?? '(own)'} -> ${r.hello ? 'hello' : r.error ?? `close ${r.close}`}` };
    }, { quickRuns: 4, maxRuns: 60, examples: [{ origin: 'http://evil.example', host: null }, { origin: null, host: 'attacker.example' }] });
  });

  it('serve-ping-flood: pings from a client that never reads do not grow the server', async () => {
    const quick = fuzzSettings().quick;
    const arb = fc.record({ count: fc.integer({ min: quick ? 1200 : 2000, max: quick ? 1500 : 6000 }), size: fc.integer({ min: 30_000, max: 60_000 }) });
    await fuzzProperty('serve-ping-flood', arb, async ({ count, size }) => {
      const s = servers.open;
      await s.ensure();
      const from = s.stderr.length;
      const before = rssOf(s.pid);
      const id = JSON.stringify('p'.repeat(size));
      const sent = await new Promise<number>((resolve) => {
        const ws = new WebSocket(s.wsUrl());
        let n = 0;
        const finish = (): void => { clearTimeout(timer); ws.terminate(); resolve(n); };
        const timer = setTimeout(finish, 60_000);
        ws.once('message', () => {
          // Stop reading: the server's answers pile up on its side of the connection.
          (ws as unknown as { _socket: { pause(): void } })._socket.pause();
          const pump = (): void => {
            while (n < count && ws.bufferedAmount < 4 << 20) { ws.send(`{"type":"ping","id":${id}}`); n++; }
            if (n < count) setTimeout(pump, 5);
            else {
              const drained = (): void => { if (ws.bufferedAmount === 0) setTimeout(finish, 1500); else setTimeout(drained, 20); };
              drained();
            }
          };
          pump();
        });
        ws.on('close', finish);
        ws.on('error', () => undefined);
      });
      const grown = rssOf(s.pid) - before;
      const problems: Problem[] = [];
      const sentMiB = Math.round((sent * size) / (1 << 20));
      // A bounded control queue holds a few MiB; what was sent is 35 to 350 MiB.
      if (grown > 64 * 1024) problems.push({ kind: 'unbounded-queue', detail: `serve RSS grew ${Math.round(grown / 1024)} MiB while a non-reading client sent ${sentMiB} MiB of pings` });
      problems.push(...await s.problems('a ping flood', from));
      return { problems, peakRssKb: peakRssOf(s.pid), summary: `${sent} of ${count} pings with ids of ${size} bytes (${sentMiB} MiB) from a client that never reads${sent < count ? ' (then the server closed it: allowed)' : ''}` };
    }, { quickRuns: 1 });
  });
});
