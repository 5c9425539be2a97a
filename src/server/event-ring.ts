// The most recent events of a stream, by seq, in a fixed-size ring: resumes that go back less
// than `capacity` events are served from memory; older ones from the stream's history (the file).

import type { WireEvent } from './wire-message.js';

export class EventRing {
  private readonly slots: (WireEvent | undefined)[];
  /** seq of the newest event held (0: none yet). */
  private last = 0;

  constructor(readonly capacity: number) {
    this.slots = new Array<WireEvent | undefined>(capacity);
  }

  /** Events must come in seq order, one after the other. */
  push(e: WireEvent): void {
    this.slots[e.seq % this.capacity] = e;
    this.last = e.seq;
  }

  /** Oldest seq still held, or last + 1 when nothing is. */
  get first(): number {
    return this.last === 0 ? 1 : Math.max(1, this.last - this.capacity + 1);
  }

  get(seq: number): WireEvent | undefined {
    if (seq < this.first || seq > this.last) return undefined;
    return this.slots[seq % this.capacity];
  }
}
