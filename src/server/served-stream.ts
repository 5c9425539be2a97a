// The stream a server serves: events numbered as they are published, the recent ones in memory
// (event-ring.ts), the header and whether it ended (for `hello` and heartbeats), and the re-read
// of older ones from the source's history. What a client session sees of it is a StreamView.

import type { HeaderRecord } from '../model/records.js';
import { AccessJson } from './access-json.js';
import { EventRing } from './event-ring.js';
import { JsonBytes } from './json-bytes.js';
import type { RereadPermits } from './reread-permits.js';
import type { StreamView } from './session-types.js';
import { wireEvent, wireEvents, type ServedEvent, type WireEvent } from './wire-message.js';

export class ServedStream implements StreamView {
  /** seq of the newest published event (0 before the first). */
  private last = 0;
  /** seq of the newest prepared event (published or not). */
  private prepared = 0;
  /** Headers prepared and not yet published, by seq (`header` is the published one). */
  private readonly headers = new Map<number, Omit<HeaderRecord, 't'>>();
  /** An `error` event was prepared: nothing more is taken. */
  private closed = false;
  ended = false;
  header: Omit<HeaderRecord, 't'> | null = null;
  readonly ring: EventRing;
  private readonly accessJson = new AccessJson();
  /** Where every batch is serialised (wire-message.ts): emptied after each. */
  private readonly scratch = new JsonBytes();

  constructor(ringSize: number, private readonly permits: RereadPermits,
    /** The same events again from seq `from` (serveEvents' `history`). */
    private readonly history: ((from: number) => AsyncIterable<ServedEvent>) | undefined,
    /** The stream's state now (serveEvents' `snapshot`), for streams whose events update a state. */
    private readonly state?: () => Record<string, unknown>[]) {
    this.ring = new EventRing(ringSize);
  }

  head(): number { return this.last; }
  recent(seq: number): WireEvent | undefined { return this.ring.get(seq); }
  recentFirst(): number { return this.ring.first; }
  /** Where a subscribe without `from` starts: the first event there is. */
  first(): number { return this.history ? 1 : this.ring.first; }

  /**
   * The batch numbered and serialised once (for every client), not yet published: what a replay
   * reading ahead of its clock holds until the events are due. Empty once the stream has ended
   * (after an `error` event nothing more is taken). Prepared events must be published in order.
   */
  prepare(batch: ServedEvent | readonly ServedEvent[]): WireEvent[] {
    const events: ServedEvent[] = [];
    let closes = false;
    for (const e of Array.isArray(batch) ? batch as readonly ServedEvent[] : [batch as ServedEvent]) {
      if (this.closed || closes) break;
      if (e.kind === 'error') closes = true;
      events.push(e);
    }
    if (events.length === 0) return [];
    // Serialised first: a batch that fails to serialise changes nothing here.
    const wired = wireEvents(this.prepared + 1, events, this.accessJson, this.scratch);
    events.forEach((e, i) => {
      if (e.kind === 'header') { const { t: _t, ...h } = e.header; this.headers.set(this.prepared + i + 1, h); }
    });
    this.prepared += wired.length;
    if (closes) this.closed = true;
    return wired;
  }

  /** Prepared events, now due: kept in the ring (the clients are offered them by the server). */
  publish(wired: readonly WireEvent[]): void {
    for (const w of wired) {
      if (w.seq !== this.last + 1) throw new Error(`published seq ${w.seq} after ${this.last}`);
      if (w.type === 'header') { this.header = this.headers.get(w.seq) ?? null; this.headers.delete(w.seq); }
      if (w.type === 'error') this.ended = true;
      this.last = w.seq;
      this.ring.push(w);
    }
  }

  /**
   * Prepared events that will not be published (the source failed while they waited): the next
   * prepared event follows the last published one.
   */
  dropPrepared(): void {
    this.prepared = this.last;
    this.headers.clear();
    this.closed = this.ended;
  }

  snapshot(): Record<string, unknown>[] | null {
    return this.state ? this.state() : null;
  }

  reread(from: number, signal: AbortSignal): AsyncIterable<WireEvent> | null {
    const history = this.history;
    if (!history) return null;
    const { permits, accessJson, scratch } = this;
    return (async function* numbered() {
      if (!(await permits.acquire(signal))) return;
      try {
        let seq = from;
        for await (const e of history(from)) {
          if (signal.aborted) return;
          yield wireEvent(seq++, e, accessJson, scratch);
        }
      } finally {
        permits.release();
      }
    })();
  }
}
