// A client that disconnects midway and comes back with `from` = its last seq + 1 loses nothing:
// the union of what it got is the whole stream, event for event. Events older than the server's
// memory come from re-reading the capture file, with the same seq and the same content.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Subject } from 'rxjs';
import { captureHistory, capturePass } from '../../src/server/capture-stream.js';
import { serveEvents, type ServeHandle } from '../../src/server/serve-events.js';
import type { ServedEvent } from '../../src/server/wire-message.js';
import { captureStream, LAB_KEXEC, QEMU_BASIC, serveCapture, wsUrl } from './capture-server.js';
import { TestClient, type Msg } from './test-client.js';

// Real servers and sockets on a machine shared with other jobs: generous limits, never timing assertions.
vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

async function connect(s: ServeHandle, subscribe: Record<string, unknown>): Promise<TestClient> {
  const c = new TestClient(wsUrl(s));
  await c.next((m) => m.type === 'hello');
  c.send({ type: 'subscribe', ...subscribe });
  return c;
}

/** Reads until an event at or past `seq`, then disconnects; returns the last seq any message carried. */
async function readUntilThenLeave(c: TestClient, seq: number): Promise<number> {
  await c.next((m) => m.type !== 'hello' && m.type !== 'subscribed' && m.seq >= seq);
  await c.close();
  return c.messages.at(-1)!.seq;
}

const bySeq = (ms: Msg[]): Map<number, Msg> => new Map(ms.map((m) => [m.seq, m]));

describe('resume after a disconnect, from a finished replay', () => {
  let server: ServeHandle;
  let full: Msg[];
  beforeAll(async () => {
    // A ring of 100 events: resuming from the middle of this capture needs the file re-read.
    server = await serveCapture(QEMU_BASIC, '0000:02:00.0', { ringSize: 100 });
    await server.ended;
    const c = await connect(server, {});
    await c.next((m) => m.type === 'caught-up');
    full = c.events();
    await c.close();
  });
  afterAll(async () => { await server.close(); });

  it('the re-read gives the same events with the same seq as the replay (numbering is deterministic)', async () => {
    expect(full.map((m) => m.seq)).toEqual(Array.from({ length: server.stats().head }, (_, i) => i + 1));
    // All but the last 100 of `full` were re-read from the file; a server that remembers all of them serves them from memory.
    const remembers = await serveCapture(QEMU_BASIC, '0000:02:00.0', { ringSize: 100_000 });
    await remembers.ended;
    const c = await connect(remembers, {});
    await c.next((m) => m.type === 'caught-up');
    expect(c.events()).toEqual(full);
    await c.close();
    await remembers.close();
  });

  it('loses nothing across two disconnects', async () => {
    const got: Msg[] = [];
    const a = await connect(server, {});
    const lastA = await readUntilThenLeave(a, Math.floor(full.length / 3));
    got.push(...a.events());
    const b = await connect(server, { from: lastA + 1 });
    const lastB = await readUntilThenLeave(b, Math.floor((2 * full.length) / 3));
    got.push(...b.events());
    const c = await connect(server, { from: lastB + 1 });
    await c.next((m) => m.type === 'caught-up');
    got.push(...c.events());
    await c.close();
    expect(got.map((m) => m.seq)).toEqual(full.map((m) => m.seq));
    expect(got).toEqual(full);
  });

  it('a filtered client resumes with its filter and gets the same events it would have had', async () => {
    const filter = { kinds: ['access', 'finding'], bdf: '0000:02:00.0' };
    const whole = await connect(server, filter);
    await whole.next((m) => m.type === 'caught-up');
    const half = await connect(server, filter);
    const last = await readUntilThenLeave(half, whole.events()[Math.floor(whole.events().length / 2)]!.seq);
    const rest = await connect(server, { ...filter, from: last + 1 });
    await rest.next((m) => m.type === 'caught-up');
    expect([...half.events(), ...rest.events()]).toEqual(whole.events());
    await whole.close();
    await rest.close();
  });
});

describe('resume during a live stream', () => {
  it('a client that leaves while events keep coming gets all of them back, from memory and from the file', async () => {
    const stream = await captureStream(LAB_KEXEC, '0000:01:00.0');
    const source = new Subject<ServedEvent>();
    const rereads: number[] = [];
    const history = captureHistory(stream);
    const server = await serveEvents({
      source, history: (from) => { rereads.push(from); return history(from); }, ringSize: 200,
      meta: { id: 'live-test', kind: 'live', policy: null }, listen: { host: '127.0.0.1', port: 0 },
    });
    const events: ServedEvent[] = [];
    for await (const batch of capturePass(stream)) events.push(...batch);
    const third = Math.floor(events.length / 3);

    const watcher = await connect(server, {});
    await watcher.next((m) => m.type === 'caught-up');
    const leaver = await connect(server, {});
    await leaver.next((m) => m.type === 'caught-up');
    for (const e of events.slice(0, third)) source.next(e);
    const last = await readUntilThenLeave(leaver, third);
    // While it is away, the stream goes on well past the server's memory of 200 events.
    for (const e of events.slice(third, 2 * third)) source.next(e);
    await watcher.next((m) => m.seq === 2 * third);
    const back = await connect(server, { from: last + 1 });
    await back.next((m) => m.type === 'caught-up');
    for (const e of events.slice(2 * third)) source.next(e);
    source.complete();
    await back.next((m) => m.type === 'end');
    await watcher.next((m) => m.type === 'end');

    const union = [...leaver.events(), ...back.events()];
    expect(union.map((m) => m.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
    expect(bySeq(union)).toEqual(bySeq(watcher.events()));
    expect(watcher.messages.some((m) => m.type === 'gap')).toBe(false);
    expect(rereads).toEqual([last + 1]);
    await watcher.close();
    await back.close();
    await server.close();
  });
});
