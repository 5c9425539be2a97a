// A sequence of batches read ahead of its consumer, up to a bound: while a paced replay waits for
// its next access's time, the following chunks are read, judged and serialised, so that at
// release only the send is left. Without it every chunk's work waited until its first access was
// already due, and the first second of a fast replay ran that work cold (the JIT had compiled
// none of it): at 100k accesses/s the server fell ~250 ms behind there (test/bench/README.md,
// "Where the 100k/s-to-one p99 comes from"). Bounded by items held, so memory stays flat however
// long the file; `return()` stops the reading and closes the source: at once when the reader
// waits for room, after the batch being read otherwise (that batch is dropped).

/** Items of `source`'s batches held ahead of the consumer at most (a batch is read whole). */
export function readAhead<T>(source: AsyncIterable<readonly T[]>, limit: number): AsyncIterableIterator<readonly T[]> {
  const it = source[Symbol.asyncIterator]();
  const queue: (readonly T[])[] = [];
  let held = 0;
  let finished = false;
  let failure: { error: unknown } | null = null;
  let stopped = false;
  /** The consumer waiting for a batch, and the reader waiting for room. */
  let wakeConsumer: (() => void) | null = null;
  let wakeReader: (() => void) | null = null;
  let reading: Promise<void> | null = null;

  const wake = (): void => { const w = wakeConsumer; wakeConsumer = null; w?.(); };

  const read = async (): Promise<void> => {
    try {
      while (!stopped) {
        if (held >= limit) { await new Promise<void>((r) => { wakeReader = r; }); continue; }
        const r = await it.next();
        // Stopped while that batch was read: it goes nowhere (the consumer is gone).
        if (r.done || stopped) break;
        queue.push(r.value);
        held += r.value.length;
        wake();
      }
    } catch (e) {
      failure = { error: e };
    }
    finished = true;
    wake();
  };

  return {
    [Symbol.asyncIterator]() { return this; },
    async next(): Promise<IteratorResult<readonly T[]>> {
      reading ??= read();
      for (;;) {
        const batch = queue.shift();
        if (batch !== undefined) {
          held -= batch.length;
          const w = wakeReader; wakeReader = null; w?.();
          return { value: batch, done: false };
        }
        if (failure) throw failure.error;
        if (finished || stopped) return { value: undefined, done: true };
        await new Promise<void>((r) => { wakeConsumer = r; });
      }
    },
    async return(): Promise<IteratorResult<readonly T[]>> {
      stopped = true;
      queue.length = 0;
      const w = wakeReader; wakeReader = null; w?.();
      wake();
      // The source is closed once it is not inside next() (an async generator queues return()
      // behind a running next() anyway).
      await it.return?.(undefined);
      return { value: undefined, done: true };
    },
  };
}
