// Heartbeats reach every client, subscribed or not, with the client's cursor and the stream's
// head, and websocket pings go with them (a browser answers those by itself).
import { describe, expect, it, vi } from 'vitest';
import { QEMU_BASIC, serveCapture, wsUrl } from './capture-server.js';
import { TestClient } from './test-client.js';

// Real servers and sockets on a machine shared with other jobs: generous limits, never timing assertions.
vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

describe('heartbeat', () => {
  it('carries the cursor, the next seq and whether the stream ended', async () => {
    const server = await serveCapture(QEMU_BASIC, '0000:02:00.0', { heartbeatMs: 100 });
    await server.ended;
    const idle = new TestClient(wsUrl(server));
    const pinged = new Promise<void>((resolve) => idle.ws.once('ping', () => resolve()));
    const hello = await idle.next((m) => m.type === 'hello');
    expect(hello['heartbeatMs']).toBe(100);
    expect(await idle.next((m) => m.type === 'heartbeat')).toMatchObject({ seq: 0, next: server.stats().head + 1, ended: true });
    await pinged;

    const reader = new TestClient(wsUrl(server));
    await reader.next((m) => m.type === 'hello');
    reader.send({ type: 'subscribe', from: 1000 });
    await reader.next((m) => m.type === 'caught-up');
    const beat = await reader.upcoming((m) => m.type === 'heartbeat');
    expect(beat.seq).toBe(server.stats().head);
    expect(reader.events()[0]!.seq).toBe(1000);
    await idle.close();
    await reader.close();
    await server.close();
  });

  it('cuts off a client that neither answers pings nor reads, and keeps one that does', async () => {
    const server = await serveCapture(QEMU_BASIC, '0000:02:00.0', { heartbeatMs: 50 });
    await server.ended;
    const dead = new TestClient(wsUrl(server));
    const live = new TestClient(wsUrl(server));
    await dead.next((m) => m.type === 'hello');
    await live.next((m) => m.type === 'hello');
    const deadId = server.stats().clients.find((c) => c.id === 1)!.id;
    dead.ws.pause();
    // Terminated at a heartbeat: wait for the server to forget it (heartbeats are what drive this).
    while (server.stats().clients.some((c) => c.id === deadId)) await new Promise((r) => setTimeout(r, 50));
    dead.ws.resume();
    expect((await dead.closed).code).toBe(1006);
    live.send({ type: 'ping', id: 1 });
    await live.next((m) => m.type === 'pong');
    expect(server.stats().clients.length).toBe(1);
    await live.close();
    await server.close();
  });
});
