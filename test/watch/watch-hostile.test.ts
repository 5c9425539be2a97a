// `cfgscope watch` (the real CLI, a child process) against a websocket server written here that
// misbehaves: the server is the input under test's control. Messages are those of docs/protocol.md
// (the hello and finding examples there, taken from a real serve run), broken one field at a time:
// watch skips each broken one with a counted, reported reason and shows the rest; a server that
// closes right after its hello is reconnected to with a growing delay; a heartbeat too large for
// a timer does not turn the watchdog into a reconnect loop.
import { afterEach, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { runWatch } from './watch-process.js';

const HELLO = {
  type: 'hello', seq: 0, protocol: 1, server: { name: 'cfgscope', version: '0.1.0' },
  stream: {
    id: 'a23abb96db7b0655', kind: 'replay', file: 'replays/qemu-6.1-q35-basic/kernel.capture.ndjson', format: 'capture', speed: 1,
    policy: { sources: ['luo-busmaster', 'luo-default'], rules: 42, preserved: [{ bdf: '0000:02:00.0' }] },
    header: { format: 'cfgscope-capture', version: 1, clock: 'global', kernel: { release: '6.1.0-56-amd64' } },
  },
  first: 1, next: 1, ended: false, heartbeatMs: 5000, limits: { maxPayload: 65536, bufferBytes: 1048576, ring: 10000 },
};
const finding = (seq: number): Record<string, unknown> => ({
  type: 'finding', seq, bdf: '0000:00:04.0', severity: 'error', verdict: 'violation',
  rule: { id: 'decode', kind: 'preserve', severity: 'error', why: 'BAR sizing clears Memory and I/O Space decode around its writes', source: 'luo-default' },
  device: { bdf: '0000:00:04.0', vendor: 6966, device: 12, role: 'depended' }, register: 'COMMAND', accessed: 'COMMAND',
  fields: ['IO 1->0', 'MEMORY 1->0'], old: 259, new: 256, oldStale: false, change: 'changed', mask: 3, width: 2,
  callSite: '__pci_read_base', stack: ['pci_bus_write_config_word', '__pci_read_base'], ts: 2.124998, phase: 'boot', index: 38, line: 1497,
});
const without = (o: Record<string, unknown>, key: string): Record<string, unknown> => {
  const { [key]: _gone, ...rest } = o;
  return rest;
};

interface Hostile { url: string; connections: () => number; close: () => Promise<void> }
const servers: Hostile[] = [];
afterEach(async () => { for (const s of servers.splice(0)) await s.close(); });

/** A server that runs `script` on each connection, with the client's subscribe as a promise. */
async function hostile(script: (ws: WebSocket, subscribed: Promise<void>, n: number) => void): Promise<Hostile> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  let n = 0;
  wss.on('connection', (ws) => {
    n++;
    const subscribed = new Promise<void>((r) => ws.on('message', (d) => { if (JSON.parse(d.toString()).type === 'subscribe') r(); }));
    script(ws, subscribed, n);
  });
  const s: Hostile = {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    connections: () => n,
    close: () => new Promise<void>((r) => {
      for (const c of wss.clients) c.terminate();
      wss.close(() => r());
    }),
  };
  servers.push(s);
  return s;
}

const send = (ws: WebSocket, m: unknown): void => ws.send(typeof m === 'string' ? m : JSON.stringify(m));

describe('watch against a hostile server', () => {
  it('skips messages that are not the documented format, says how many and why, and shows the rest', async () => {
    const s = await hostile((ws, subscribed) => {
      send(ws, without(HELLO, 'stream'));
      send(ws, HELLO);
      void subscribed.then(() => {
        send(ws, without(finding(1), 'rule'));
        send(ws, without(finding(2), 'device'));
        send(ws, { type: 'phase', seq: 3, phase: null });
        send(ws, { type: 'access', seq: 4, bdf: '0000:00:04.0', op: 'w', phase: null });
        send(ws, { ...finding(5), seq: -5 });
        send(ws, '[1, 2');
        send(ws, { type: 'lost', seq: 6, count: 'many', reason: 'ring' });
        send(ws, finding(7));
        send(ws, { type: 'phase', seq: 8, phase: { seq: 1, label: 'kexec', ts: 3.5 } });
        send(ws, { type: 'end', seq: 9, counts: { accesses: 9 }, trailer: 'complete' });
      });
    });
    const w = runWatch([s.url, '--until-end']);
    expect(await w.exit).toBe(0);
    const out = w.stdout();
    expect(w.stderr()).not.toMatch(/TypeError|at .*\.js:\d+/);
    // The one good finding, the phase and the end: each shown once.
    expect(out).toMatch(/^#7 violation \[error\] 0000:00:04.0 COMMAND 0x0103 -> 0x0100 \(IO 1->0, MEMORY 1->0\) by __pci_read_base, rule decode, phase boot$/m);
    expect(out.match(/^#\d+ violation/gm)).toHaveLength(1);
    expect(out).toMatch(/^# phase kexec$/m);
    expect(out).toMatch(/^# end: 9 accesses, trailer complete; 1 violation\(s\)$/m);
    // Each skipped message said (the first five), with its type and field path; then the count.
    expect(out).toMatch(/^# skipped a server message that is not the documented format: hello: \$\.stream is not an object$/m);
    expect(out).toMatch(/: finding: \$\.rule is not an object$/m);
    expect(out).toMatch(/: finding: \$\.device is not an object$/m);
    expect(out).toMatch(/: phase: \$\.phase is not an object$/m);
    expect(out).toMatch(/: access: \$\.phase is not an object$/m);
    expect(w.stderr()).toMatch(/^cfgscope watch: 8 server message\(s\) skipped as not the documented format: /m);
    expect(w.stderr()).toMatch(/1 x not JSON/);
    expect(w.stderr()).toMatch(/1 x lost: \$\.count is not a count/);
  }, 30_000);

  it('backs off from a server that closes right after its hello, instead of reconnecting 4 times a second', async () => {
    const s = await hostile((ws) => {
      send(ws, HELLO);
      ws.close(1001, 'going away');
    });
    const w = runWatch([s.url]);
    await w.waitFor(/(reconnecting in[\s\S]*){5}/);
    w.child.kill('SIGINT');
    await w.exit;
    // The delays said before each reconnect double (a hello alone does not reset them).
    const waits = [...w.stdout().matchAll(/reconnecting in ([\d.]+) s/g)].map((m) => Number(m[1]));
    expect(waits.slice(0, 5)).toEqual([0.25, 0.5, 1, 2, 4]);
  }, 30_000);

  it('keeps a connection whose heartbeat is too long for a timer, and ends with the stream', async () => {
    const s = await hostile((ws, subscribed) => {
      send(ws, { ...HELLO, heartbeatMs: 3e9 });
      void subscribed.then(() => setTimeout(() => {
        send(ws, finding(1));
        send(ws, { type: 'end', seq: 2, counts: { accesses: 2 }, trailer: 'complete' });
      }, 300));
    });
    const w = runWatch([s.url, '--until-end']);
    expect(await w.exit).toBe(0);
    expect(w.stdout()).not.toMatch(/reconnecting/);
    expect(w.stdout()).toMatch(/^#1 violation/m);
    expect(s.connections()).toBe(1);
  }, 30_000);
});
