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
  /** seq of the newest event (0 before the first). */
  private last = 0;
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
   * The batch numbered and serialised once (for every client), kept in the ring; empty once the
   * stream has ended (after an `error` event nothing more is taken).
   */
  publish(batch: ServedEvent | readonly ServedEvent[]): WireEvent[] {
    const events: ServedEvent[] = [];
    for (const e of Array.isArray(batch) ? batch as readonly ServedEvent[] : [batch as ServedEvent]) {
      if (this.ended) break;
      if (e.kind === 'header') { const { t: _t, ...h } = e.header; this.header = h; }
      if (e.kind === 'error') this.ended = true;
      events.push(e);
    }
    if (events.length === 0) return [];
    const wired = wireEvents(this.last + 1, events, this.accessJson, this.scratch);
    this.last += wired.length;
    for (const w of wired) this.ring.push(w);
    return wired;
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
