// Hostile raw HTTP requests against a real `cfgscope serve` (without and with a token): after
// every request the server is alive, prints no stack trace, stays under its memory limit, and
// still serves the page and the websocket to a healthy client.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it, vi } from 'vitest';
import { connect } from 'node:net';
import { peakRssOf } from './cli-process.js';
import { fuzzTestTimeout } from './fuzz-config.js';
import { fuzzProperty } from './fuzz-property.js';
import type { Problem } from './invariants.js';
import { rawRequest, requestBytes, type RawRequest } from './serve-arbitraries.js';
import { healthy, ServeProcess } from './serve-harness.js';

vi.setConfig({ testTimeout: fuzzTestTimeout(), hookTimeout: 120_000 });

const servers = { open: new ServeProcess(null), token: new ServeProcess('fuzz-token-1234') };

beforeAll(async () => {
  await Promise.all([servers.open.start(), servers.token.start()]);
  // Not vacuous: the health check passes on a fresh server.
  for (const s of Object.values(servers)) {
    const h = await healthy(s);
    if (h) throw new Error(`fresh server unhealthy: ${h}`);
  }
});
afterAll(async () => { await Promise.all([servers.open.stop(), servers.token.stop()]); });

/** Sends the bytes, returns the status line (or how the connection ended) within 3 s. */
function send(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let got = '';
    const done = (r: string): void => { clearTimeout(timer); sock.destroy(); resolve(r); };
    const timer = setTimeout(() => done(got ? got.split('\r\n')[0]! : 'no answer in 3 s'), 3000);
    sock.on('connect', () => { sock.write(bytes); });
    sock.on('data', (d) => { got += d.toString('latin1'); if (got.includes('\r\n')) done(got.split('\r\n')[0]!); });
    sock.on('error', (e) => done(`error ${e.message}`));
    sock.on('close', () => done(got ? got.split('\r\n')[0]! : 'closed without answer'));
  });
}

describe('fuzz: serve over HTTP', () => {
  it('serve-http: no request kills or wedges serve', async () => {
    const arb = fc.record({ server: fc.constantFrom('open' as const, 'token' as const), requests: fc.array(rawRequest(), { minLength: 1, maxLength: 4 }) });
    await fuzzProperty('serve-http', arb, async ({ server, requests }) => {
      const s = servers[server];
      await s.ensure();
      const problems: Problem[] = [];
      const answers: string[] = [];
      for (const r of requests) {
        const from = s.stderr.length;
        answers.push(await send(s.port, requestBytes(r, s.port, s.token)));
        problems.push(...await s.problems(`${JSON.stringify(r.method)} ${JSON.stringify(r.target.slice(0, 60))}`, from));
        if (s.exited) break;
      }
      const show = (r: RawRequest, i: number): string => `${JSON.stringify(requestBytes(r, s.port, s.token).toString('latin1').slice(0, 300))} -> ${answers[i] ?? '(not sent)'}`;
      return { problems, peakRssKb: peakRssOf(s.pid), summary: `${server} server: ${requests.map(show).join(' ; ')}` };
    }, {
      quickRuns: 6,
      // The examples: `GET //`, and a malformed percent-encoding in the token cookie.
      examples: [
        { server: 'open', requests: [{ method: 'GET', target: '//', version: 'HTTP/1.1', headers: [], body: '', withToken: false }] },
        { server: 'token', requests: [{ method: 'GET', target: '/', version: 'HTTP/1.1', headers: [['Cookie', 'cfgscope_token=%E0%A4%A']], body: '', withToken: false }] },
      ],
    });
  });
});
