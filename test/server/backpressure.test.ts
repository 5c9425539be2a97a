// A client that stops reading does not slow the stream or the other clients: its events are
// dropped for it alone, and once it reads again it gets a `gap` that covers exactly what it
// missed. The stream is the real capture's events, passed again and again (a long live run).
import { describe, expect, it, vi } from 'vitest';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Subject } from 'rxjs';
import { capturePass } from '../../src/server/capture-stream.js';
import { serveEvents } from '../../src/server/serve-events.js';
import type { ServedEvent } from '../../src/server/wire-message.js';
import { captureStream, QEMU_BASIC, wsUrl } from './capture-server.js';
import { TestClient } from './test-client.js';

// Real servers and sockets on a machine shared with other jobs: generous limits, never timing assertions.
vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

describe('a stalled client', () => {
  it('is dropped alone, and told exactly which seq range it missed', async () => {
    const stream = await captureStream(QEMU_BASIC, '0000:02:00.0');
    const pass: ServedEvent[] = [];
    for await (const batch of capturePass(stream)) pass.push(...batch);
    const source = new Subject<ServedEvent>();
    const server = await serveEvents({
      source, meta: { id: 'stall-test', kind: 'live', policy: null },
      listen: { host: '127.0.0.1', port: 0 }, bufferBytes: 64 * 1024, ringSize: 1000,
      // The staller answers no ping while paused: no liveness cut-off during this test, however slow the machine.
      heartbeatMs: 600_000,
    });
    const reader = new TestClient(wsUrl(server));
    const staller = new TestClient(wsUrl(server));
    for (const c of [reader, staller]) {
      await c.next((m) => m.type === 'hello');
      c.send({ type: 'subscribe' });
      await c.next((m) => m.type === 'caught-up');
    }
    staller.ws.pause(); // stops reading its socket: the server's send buffer for it fills up

    const stallerStats = () => server.stats().clients.find((c) => c.id === 2)!;
    let seq = 0;
    let passesAfterDrop = 0;
    // Feed the stream in batches; after each, the reader has everything so far (it is not slowed),
    // until the staller has dropped events for a while. Bounded, so a server that never drops fails.
    for (let round = 0; round < 400 && passesAfterDrop < 3; round++) {
      for (let i = 0; i < pass.length; i += 200) {
        for (const e of pass.slice(i, i + 200)) { source.next(e); seq++; }
        const upTo = seq;
        await reader.next((m) => m.seq === upTo);
        await nextTurn();
      }
      if (stallerStats().dropped > 0) passesAfterDrop++;
    }
    source.complete();
    const head = server.stats().head;
    expect(head).toBe(seq);
    expect(stallerStats().dropped).toBeGreaterThan(0);
    // The reader got every event, once, in order, and no gap, while the staller was stalled.
    expect(reader.events().map((m) => m.seq)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
    expect(reader.messages.some((m) => m.type === 'gap')).toBe(false);

    staller.ws.resume();
    const gap = await staller.next((m) => m.type === 'gap');
    expect(gap).toMatchObject({ reason: 'slow', to: head, seq: head });
    const from = gap['from'] as number;
    const to = gap['to'] as number;
    expect(gap['count']).toBe(to - from + 1);
    const got = staller.events().map((m) => m.seq);
    // Everything before the gap arrived, in order; nothing inside it; the gap ends at the head.
    expect(got).toEqual(Array.from({ length: from - 1 }, (_, i) => i + 1));
    expect(stallerStats()).toMatchObject({ dropped: to - from + 1, gaps: 1 });

    // Asking for the gap again: this live stream has no file to re-read and remembers its last
    // 1000 events, so the older part is reported expired and the rest is sent.
    const caughtUp = staller.upcoming((m) => m.type === 'caught-up');
    staller.send({ type: 'subscribe', from });
    const expired = await staller.next((m) => m.type === 'gap' && m['reason'] === 'expired');
    expect(expired).toMatchObject({ from, to: head - 1000, count: null, seq: head - 1000 });
    await caughtUp;
    expect(staller.events().map((m) => m.seq).slice(from - 1)).toEqual(Array.from({ length: 1000 }, (_, i) => head - 999 + i));

    await reader.close();
    await staller.close();
    await server.close();
  }, 60_000);
});
