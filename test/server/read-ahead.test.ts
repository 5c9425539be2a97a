// read-ahead.ts: a replay's batches read ahead of their release, at most `limit` items held, in
// order, a failure passed on after the batches before it, and return() closing the source at
// once (a replay unsubscribed while it waits must not leave its file open or keep reading).
import { describe, expect, it } from 'vitest';
import { readAhead } from '../../src/server/read-ahead.js';
import { capturePass } from '../../src/server/capture-stream.js';
import { captureStream, QEMU_BASIC } from './capture-server.js';

/** Batches of `size` numbers; counts what was read and whether it was closed. */
function counted(batches: number, size: number, failAt = -1) {
  const seen = { read: 0, closed: false };
  async function* gen(): AsyncGenerator<number[]> {
    try {
      for (let b = 0; b < batches; b++) {
        await new Promise((r) => setImmediate(r));
        if (b === failAt) throw new Error(`batch ${b} failed`);
        seen.read += size;
        yield Array.from({ length: size }, (_, i) => b * size + i);
      }
    } finally {
      seen.closed = true;
    }
  }
  return { seen, source: gen() };
}

const settle = async (turns = 50): Promise<void> => { for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r)); };

describe('readAhead', () => {
  it('reads ahead while the consumer waits, never more than the limit (plus one batch), in order', async () => {
    const { seen, source } = counted(100, 10);
    const it = readAhead(source, 35);
    const first = await it.next();
    expect(first.value).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await settle();
    // Held: 35 or more after the first was taken, but it stops there.
    expect(seen.read - 10).toBeGreaterThanOrEqual(35);
    expect(seen.read - 10).toBeLessThan(35 + 10);
    const all: number[] = [...first.value!];
    for (let r = await it.next(); !r.done; r = await it.next()) all.push(...r.value);
    expect(all).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(seen.closed).toBe(true);
  });

  it('passes a failure on after the batches read before it', async () => {
    const { source } = counted(10, 2, 3);
    const it = readAhead(source, 100);
    const got: number[] = [];
    await expect((async () => { for (let r = await it.next(); !r.done; r = await it.next()) got.push(...r.value); })()).rejects.toThrow('batch 3 failed');
    expect(got).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('return() stops the reading and closes the source, also while the reader waits for room', async () => {
    const { seen, source } = counted(1000, 10);
    const it = readAhead(source, 20);
    await it.next();
    await settle();
    const readBefore = seen.read;
    await it.return!();
    expect(seen.closed).toBe(true);
    await settle();
    expect(seen.read).toBe(readBefore);
    expect((await it.next()).done).toBe(true);
  });

  it('gives a real capture pass the same batches as reading it directly', async () => {
    const stream = await captureStream(QEMU_BASIC, '0000:02:00.0');
    const direct: unknown[] = [];
    for await (const b of capturePass(stream)) direct.push(b.map((e) => e.kind));
    const ahead: unknown[] = [];
    for await (const b of readAhead(capturePass(stream), 1000)) ahead.push(b.map((e) => e.kind));
    expect(direct.length).toBeGreaterThan(1);
    expect(ahead).toEqual(direct);
  });
});
