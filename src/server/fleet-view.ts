// The fleet view `serve --from nats://` serves (docs/protocol.md, "The fleet view"): fleet's own
// tally (src/fleet/fleet-tally.ts) fed with every finding message as it arrives, and, as events
// of the served stream, the rows that changed (each whole, coalesced: at most one `fleet-rows`
// event per `batchMs`, however many findings came) and the feed's state when it changes. A client
// that connects gets `snapshot()` (every row, in parts) and then these events; rows only grow, so
// a row in an event always replaces the one the client has.

import { Observable, type Subscriber } from 'rxjs';
import type { Envelope, FleetFinding } from '../fleet/fleet-message.js';
import type { FeedState } from '../fleet/fleet-follow.js';
import { FleetTally, rowJson, totalsJson, type FleetRow, type TallyFilter } from '../fleet/fleet-tally.js';
import type { ServedEvent } from './wire-message.js';

/** A snapshot part holds rows up to about this many bytes of JSON: well under a client's
 *  send-buffer slack (256 KiB), so a part never gets a reading client cut off. */
const PART_BYTES = 48 * 1024;

export interface FeedStatus {
  state: FeedState;
  reason: string | null;
  since: number;
}

export class FleetView {
  readonly tally: FleetTally;
  private touched = new Set<FleetRow>();
  private dirty = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private subscriber: Subscriber<ServedEvent[]> | null = null;
  status: FeedStatus;

  /** Subscribed once by serveEvents: the view's events, in batches. */
  readonly events: Observable<ServedEvent[]>;

  constructor(filter: TallyFilter, private readonly batchMs = 250, private readonly now: () => number = Date.now) {
    this.tally = new FleetTally(filter);
    this.status = { state: 'connecting', reason: null, since: now() };
    this.events = new Observable<ServedEvent[]>((s) => {
      this.subscriber = s;
      s.next([this.stateEvent()]);
      return () => { this.subscriber = null; this.cancel(); };
    });
  }

  /** One finding message (its JSON; null when it was not JSON). */
  add(json: unknown): void {
    this.tally.add(json as Envelope<FleetFinding> | null, this.touched);
    this.dirty = true;
    this.timer ??= setTimeout(() => { this.timer = null; this.flush(); }, this.batchMs);
  }

  /** The feed's state; a change is sent at once, after the rows counted before it. */
  setState(state: FeedState, reason: string | null): void {
    if (state === this.status.state && reason === this.status.reason) return;
    this.status = { state, reason, since: state === this.status.state ? this.status.since : this.now() };
    this.cancel();
    this.subscriber?.next([...this.rowsEvent(), this.stateEvent()]);
  }

  /** Sends what changed since the last batch (nothing when nothing did). */
  flush(): void {
    this.cancel();
    const e = this.rowsEvent();
    if (e.length > 0) this.subscriber?.next(e);
  }

  private cancel(): void {
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null; }
  }

  private rowsEvent(): ServedEvent[] {
    if (!this.dirty) return [];
    const rows = [...this.touched].map(rowJson);
    this.touched = new Set();
    this.dirty = false;
    return [{ kind: 'fleet-rows', rows, totals: totalsJson(this.tally) }];
  }

  private stateEvent(): ServedEvent {
    return { kind: 'fleet-state', ...this.status };
  }

  /**
   * Every row now, as `fleet-snapshot` messages of at most about PART_BYTES each (at least one,
   * carrying the state and totals, so an empty fleet is said too). Rows touched since the last
   * batch are in it already and come again in the next `fleet-rows`: the same or a newer state.
   */
  snapshot(): Record<string, unknown>[] {
    const parts: Record<string, unknown>[][] = [[]];
    let bytes = 0;
    for (const r of this.tally.sorted()) {
      const j = rowJson(r);
      const size = JSON.stringify(j).length;
      if (bytes + size > PART_BYTES && parts[parts.length - 1]!.length > 0) { parts.push([]); bytes = 0; }
      parts[parts.length - 1]!.push(j);
      bytes += size;
    }
    const state = { state: this.status.state, reason: this.status.reason, since: new Date(this.status.since).toISOString() };
    const totals = totalsJson(this.tally);
    return parts.map((rows, i) => ({ type: 'fleet-snapshot', part: i + 1, parts: parts.length, state, totals, rows }));
  }
}
