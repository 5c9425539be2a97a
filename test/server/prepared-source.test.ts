// A source that prepares events ahead of their release (a replay reading ahead: replayCapture)
// and then fails: what it prepared and never emitted is not published, and the `error` event
// follows the last published seq, so clients see seqs 1, 2, ... without a hole.
import { describe, expect, it } from 'vitest';
import { Observable } from 'rxjs';
import { capturePass } from '../../src/server/capture-stream.js';
import { serveEvents } from '../../src/server/serve-events.js';
import type { ServedEvent, WireEvent } from '../../src/server/wire-message.js';
import { captureStream, QEMU_BASIC, wsUrl } from './capture-server.js';
import { TestClient } from './test-client.js';

describe('a source that prepares ahead', () => {
  it('fails after preparing batches it never emitted: the error follows the last published seq', async () => {
    const batches: ServedEvent[][] = [];
    for await (const b of capturePass(await captureStream(QEMU_BASIC, '0000:02:00.0'))) {
      batches.push(b);
      if (batches.length === 3) break;
    }
    const server = await serveEvents({
      source: (prepare) => new Observable<readonly WireEvent[]>((out) => {
        const [first, second, third] = batches.map((b) => prepare(b));
        expect(second!.length + third!.length).toBeGreaterThan(0);
        out.next(first!);
        out.error(new Error('the capture file went away'));
      }),
      meta: { id: 'prepared', kind: 'replay', policy: null },
      listen: { host: '127.0.0.1', port: 0 },
    });
    await server.ended;
    const c = new TestClient(wsUrl(server));
    await c.next((m) => m.type === 'hello');
    c.send({ type: 'subscribe', from: 1 });
    const error = await c.next((m) => m.type === 'error');
    const events = c.events();
    expect(events.map((m) => m.seq)).toEqual(Array.from({ length: batches[0]!.length + 1 }, (_, i) => i + 1));
    expect(events.slice(0, -1).map((m) => m.type)).toEqual(batches[0]!.map((e) => (e.kind === 'check-totals' ? 'totals' : e.kind)));
    expect(error).toMatchObject({ seq: batches[0]!.length + 1, code: 'SOURCE_FAILED', message: 'the capture file went away' });
    expect(server.stats().head).toBe(batches[0]!.length + 1);
    await c.close();
    await server.close();
  });

  it('loses a batch that fails to serialise, reports it, and goes on numbering from the last', async () => {
    const batches: ServedEvent[][] = [];
    for await (const b of capturePass(await captureStream(QEMU_BASIC, '0000:02:00.0'))) {
      batches.push(b);
      if (batches.length === 3) break;
    }
    const access = batches.flat().find((e) => e.kind === 'access')!;
    // An access whose phase is missing cannot be written (a bug upstream): its batch is lost.
    const broken = [{ ...access, phase: undefined } as unknown as ServedEvent];
    const internal: unknown[] = [];
    const server = await serveEvents({
      source: (prepare) => new Observable<readonly WireEvent[]>((out) => {
        out.next(prepare(batches[0]!));
        out.next(prepare(broken));
        out.next(prepare(batches[1]!));
        out.complete();
      }),
      meta: { id: 'prepared-2', kind: 'replay', policy: null },
      listen: { host: '127.0.0.1', port: 0 },
      onInternalError: (e) => internal.push(e),
    });
    await server.ended;
    const c = new TestClient(wsUrl(server));
    await c.next((m) => m.type === 'hello');
    c.send({ type: 'subscribe', from: 1 });
    const all = batches[0]!.length + batches[1]!.length;
    await c.next((m) => m.type === 'caught-up');
    expect(internal).toHaveLength(1);
    expect(c.events().map((m) => m.seq)).toEqual(Array.from({ length: all }, (_, i) => i + 1));
    expect(server.stats()).toMatchObject({ head: all, internalErrors: 1 });
    await c.close();
    await server.close();
  });
});
