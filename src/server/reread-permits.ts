// How many re-reads of the capture file run at once (docs/security.md, "Limits"). Each re-read is a
// whole pass of the pipeline (its device, stack and value tables) held by one catching-up client;
// without a limit, N clients resuming from seq 1 hold N of them. With one, memory is `max` passes
// whatever the number of clients: the others wait their turn, first come first served. A waiting
// client that goes away (closes, or subscribes again) leaves the queue at once.

export class RereadPermits {
  private running = 0;
  private readonly waiting: { grant: () => void; onAbort: () => void }[] = [];
  /** Re-reads that had to wait for a permit (stats). */
  private queuedTotal = 0;

  constructor(readonly max: number) {}

  stats(): { running: number; waiting: number; queued: number; max: number } {
    return { running: this.running, waiting: this.waiting.length, queued: this.queuedTotal, max: this.max };
  }

  /** Resolves true with a permit (give it back with `release`), or false when `signal` aborted first. */
  acquire(signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    if (this.running < this.max) {
      this.running++;
      return Promise.resolve(true);
    }
    this.queuedTotal++;
    return new Promise<boolean>((resolve) => {
      const entry = {
        grant: () => { signal.removeEventListener('abort', entry.onAbort); resolve(true); },
        onAbort: () => {
          const at = this.waiting.indexOf(entry);
          if (at >= 0) this.waiting.splice(at, 1);
          resolve(false);
        },
      };
      signal.addEventListener('abort', entry.onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  /** The permit passes straight to the first waiter, if any. */
  release(): void {
    const next = this.waiting.shift();
    if (next) next.grant();
    else this.running--;
  }
}
