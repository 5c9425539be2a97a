// Memory that grows with the number or the behaviour of clients is bounded by construction (issue 12,
// class 5; docs/security.md, "Limits"): a client that floods pings and never reads its pongs holds
// at most bufferBytes + 256 KiB of replies (the server stops reading it, then cuts it off); more
// than --max-clients websockets get 503; and many clients replaying from seq 1 share a fixed
// number of re-reads of the file instead of holding one each.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServeHandle } from '../../src/server/serve-events.js';
import { QEMU_BASIC, root, serveCapture, wsUrl } from './capture-server.js';
import { clientFrame, deafClient, memoryOf, rawRequest, startServe, statusOf, upgradeRequest } from './raw-peer.js';
import { TestClient } from './test-client.js';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 60_000 });

/** Waits (without a deadline of its own: the test's timeout is the limit) until `done()` holds. */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await sleep(20);
}

async function servesWhole(s: ServeHandle): Promise<void> {
  const c = new TestClient(wsUrl(s));
  await c.next((m) => m.type === 'hello');
  c.send({ type: 'subscribe' });
  await c.next((m) => m.type === 'end');
  expect(c.events().length).toBe(s.stats().head);
  await c.close();
}

describe('a client that sends pings and never reads the pongs', () => {
  const bufferBytes = 64 * 1024;
  let server: ServeHandle;
  beforeAll(async () => {
    // Heartbeats 5 s apart: the flood must fill the loopback's socket buffers (megabytes) before
    // the server's send buffer grows, and a client that neither reads nor answers pings is cut off
    // at the second heartbeat. At 1 s, a machine under load (load average 12-15 on 2 cores) cut
    // it off before the flood had filled them (peakBuffered 0, the test timed out; main too).
    server = await serveCapture(QEMU_BASIC, '0000:02:00.0', { bufferBytes, heartbeatMs: 5000 });
    await server.ended;
  });
  afterAll(async () => { await server.close(); });

  it('holds a bounded reply queue, is cut off, and the others are served', async () => {
    const deaf = await deafClient(server.port);
    const closed = new Promise<void>((r) => deaf.on('close', () => r()));
    // 200k pings with the longest id echoed: about 30 MB of pongs, were they all queued.
    const ping = clientFrame(JSON.stringify({ type: 'ping', id: 'i'.repeat(128) }));
    const burst = Buffer.concat(Array.from({ length: 1000 }, () => ping));
    for (let i = 0; i < 200; i++) deaf.write(burst);
    // The server queued replies past its buffer limit (so it was flooded), and then stopped reading.
    await until(() => server.stats().peakBuffered > bufferBytes);
    await servesWhole(server);
    await closed; // the heartbeat cut it off: it neither read nor answered pings
    await until(() => server.stats().clients.length === 0);
    const st = server.stats();
    expect(st.peakBuffered).toBeGreaterThan(bufferBytes);
    expect(st.peakBuffered).toBeLessThanOrEqual(bufferBytes + 256 * 1024);
    deaf.destroy();
  });
});

describe('--max-clients', () => {
  it('refuses the connection over the limit with 503 (default 64), and takes one again when a client leaves', async () => {
    const serve = await startServe(QEMU_BASIC);
    try {
      const clients = Array.from({ length: 64 }, () => new TestClient(`${serve.url.replace('http', 'ws')}/ws`));
      const hellos = await Promise.all(clients.map((c) => c.next((m) => m.type === 'hello')));
      expect(hellos[0]!['limits']).toMatchObject({ maxClients: 64, maxRereads: 2 });
      const over = await rawRequest(serve.port, upgradeRequest('/ws'));
      expect(statusOf(over)).toBe(503);
      expect(over).toMatch(/cfgscope serve: 503 full: 64 clients are connected/);
      await clients.pop()!.close();
      const again = new TestClient(`${serve.url.replace('http', 'ws')}/ws`);
      await again.next((m) => m.type === 'hello');
      await Promise.all([...clients, again].map((c) => c.close()));
    } finally {
      serve.child.kill('SIGTERM');
    }
  });

  it('takes --max-clients N', async () => {
    const serve = await startServe(QEMU_BASIC, '--max-clients', '2');
    try {
      const a = new TestClient(`${serve.url.replace('http', 'ws')}/ws`);
      const b = new TestClient(`${serve.url.replace('http', 'ws')}/ws`);
      await Promise.all([a, b].map((c) => c.next((m) => m.type === 'hello')));
      expect(statusOf(await rawRequest(serve.port, upgradeRequest('/ws')))).toBe(503);
      // The page is not a websocket client: still served.
      expect((await fetch(`${serve.url}/`)).status).toBe(200);
      await Promise.all([a.close(), b.close()]);
    } finally {
      serve.child.kill('SIGTERM');
    }
  });
});

describe('100 clients replaying from seq 1', () => {
  let dir: string;
  let capture: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cfgscope-limits-'));
    capture = join(dir, 'large.ndjson');
    // 12,000 accesses: more events than the server keeps in memory (10,000), so a resume from seq 1 re-reads the file.
    const made = spawnSync(process.execPath, [`${root}test/bench/make-large-capture.mjs`, '12000', capture], { encoding: 'utf8' });
    expect(made.status).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keep the server\'s memory far below 100 re-reads of the file', async () => {
    const serve = await startServe(capture, '--max-clients', '100');
    try {
      await serve.replayed;
      const before = memoryOf(serve.child.pid!).peak;
      const clients = Array.from({ length: 100 }, () => new TestClient(`${serve.url.replace('http', 'ws')}/ws`));
      await Promise.all(clients.map(async (c) => {
        await c.next((m) => m.type === 'hello');
        c.send({ type: 'subscribe', from: 1, kinds: ['end'] });
        await c.next((m) => m.type === 'end');
      }));
      const growth = memoryOf(serve.child.pid!).peak - before;
      const fileBytes = statSync(capture).size;
      // Each re-read is a pass of the pipeline over the file; at most 2 run at once (hello.limits.maxRereads).
      // Before the limit: 100 at once, peak RSS +890 MB for this 3.3 MB capture (2.7 x 100 copies of it).
      expect(growth).toBeLessThan(100 * fileBytes * 0.6);
      await Promise.all(clients.map((c) => c.close()));
    } finally {
      serve.child.kill('SIGTERM');
    }
  });
});
