// The fleet view's updates are bounded per client (docs/protocol.md, "The fleet view"): a client
// that stops reading while the fleet's rows keep changing holds at most the server's buffer limit
// (its updates are dropped for it alone and reported in a `gap`), a client that reads is served
// every update, and the slow one, reading again and asking from its gap, ends with exactly the
// table the server's tally holds. A real server (serveEvents with the fleet view as its source)
// and real ws clients; the findings are fed to the view directly (no NATS: this is the server).
import { afterAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Socket } from 'node:net';
import { FleetView } from '../../src/server/fleet-view.js';
import { rowJson } from '../../src/fleet/fleet-tally.js';
import { serveEvents, type ServeHandle } from '../../src/server/serve-events.js';
import { TestClient, type Msg } from './test-client.js';

const bufferBytes = 64 * 1024;
const key = (r: Record<string, unknown>): string => `${r['kernel']}|${r['identity']}|${r['register']}|${r['callSite']}`;

/** The table a client built: snapshot parts and fleet-rows events, rows replaced whole. */
function table(messages: readonly Msg[]): Map<string, Record<string, unknown>> {
  const rows = new Map<string, Record<string, unknown>>();
  for (const m of messages) {
    if (m.type === 'fleet-snapshot' || m.type === 'fleet-rows') for (const r of m['rows'] as Record<string, unknown>[]) rows.set(key(r), r);
  }
  return rows;
}

const finding = (machine: string, register: string) => ({
  v: 1, machine, run: 'r1', kernel: '6.12.0', kind: 'finding', seq: 0, at: 1_700_000_000_000,
  r: [{ type: 'finding', verdict: 'violation', rule: 'decode', severity: 'error', identity: '8086:10d3', bdf: '0000:01:00.0', register, fields: [], old: 0, new: 1, callSite: 'pci_enable_device+0x1c', source: null, phase: 'boot', line: 1 }],
});

async function until(done: () => boolean): Promise<void> {
  while (!done()) await sleep(20);
}

let server: ServeHandle | null = null;
afterAll(async () => { await server?.close(); });

describe('fleet view: a client that stops reading', () => {
  it('holds a bounded buffer, gets a gap, and catches up to the tally; a reading client gets every update', async () => {
    const view = new FleetView({}, 60_000);
    server = await serveEvents({ source: view.events, snapshot: () => view.snapshot(), meta: { id: 'test', kind: 'fleet', policy: null }, listen: { host: '127.0.0.1', port: 0 }, bufferBytes, heartbeatMs: 60_000 });
    const url = `${server.url.replace(/^http/, 'ws')}/ws`;
    const slow = new TestClient(url);
    const fast = new TestClient(url);
    for (const c of [slow, fast]) {
      await c.next((m) => m.type === 'hello');
      c.send({ type: 'subscribe' });
      await c.next((m) => m.type === 'caught-up');
    }
    // The slow client stops reading: its socket is paused, the kernel's buffers fill, then the server's.
    (slow.ws as unknown as { _socket: Socket })._socket.pause();
    // Rows that grow: each batch is one more machine's findings on 40 registers, and re-sends the
    // 40 rows whole, each with every machine so far (up to 250: about 50 MB in all). Paced by the reading client: each batch once it has the
    // one before (one process runs the server and both clients).
    let batches = 0;
    for (let i = 0; i < 20_000; i++) {
      view.add(finding(`machine-${String(Math.floor(i / 40) % 250).padStart(4, '0')}`, `ECAP_AER+0x${(i % 40).toString(16)}`));
      if (i % 40 === 39) {
        const got = fast.upcoming((m) => m.type === 'fleet-rows');
        view.flush();
        batches++;
        await got;
      }
    }
    const stats = server.stats();
    const slowStats = stats.clients.find((c) => c.dropped > 0);
    expect(slowStats, 'the slow client had updates dropped').toBeDefined();
    expect(stats.peakBuffered).toBeLessThanOrEqual(bufferBytes + 256 * 1024);
    // The reading client got every batch, in order, and holds the tally's table.
    expect(fast.messages.filter((m) => m.type === 'fleet-rows').length).toBe(batches);
    expect(fast.messages.filter((m) => m.type === 'gap')).toEqual([]);
    const want = new Map([...view.tally.rows.values()].map((r) => { const j = rowJson(r); return [key(j), j]; }));
    expect(table(fast.messages)).toEqual(want);
    // The slow one reads again: it is told what it missed, asks from there, and ends equal too.
    (slow.ws as unknown as { _socket: Socket })._socket.resume();
    const gap = await slow.next((m) => m.type === 'gap');
    expect(gap['reason']).toBe('slow');
    slow.send({ type: 'subscribe', from: gap['from'] });
    await until(() => slow.messages.filter((m) => m.type === 'caught-up').length === 2);
    expect(table(slow.messages)).toEqual(want);
    await slow.close();
    await fast.close();
  }, 120_000);
});
