// One websocket client: its subscription, its cursor in the stream, and how events reach it.
// Two modes. Catching up (after `subscribe`): history from the ring or the stream's re-read,
// paced by the client (the server waits while its send buffer is full; nothing is lost).
// Live: events as they happen; when the send buffer is over the limit the event is dropped for
// this client only and counted into a pending `gap`, sent as soon as the buffer has room again.

import type { WebSocket } from 'ws';
import { ALL, matches, type Filter } from './subscription.js';
import type { WireEvent } from './wire-message.js';

/** What the session needs of the stream it follows (owned by serveEvents). */
export interface StreamView {
  /** seq of the newest event (0 before the first). */
  head(): number;
  /** A recent event from memory, undefined when it is not (or no longer) there. */
  recent(seq: number): WireEvent | undefined;
  /** Oldest seq held in memory. */
  recentFirst(): number;
  /** Events from `from` on, re-read from the source (a capture file); null when there is none. */
  reread(from: number): AsyncIterable<WireEvent> | null;
}

export interface ClientStats {
  id: number;
  mode: 'idle' | 'catching-up' | 'live' | 'closed';
  cursor: number;
  sent: number;
  dropped: number;
  gaps: number;
}

interface PendingGap { from: number; to: number; count: number }

export class ClientSession {
  private mode: ClientStats['mode'] = 'idle';
  private filter: Filter = ALL;
  /** Last seq dealt with: sent, filtered out, or dropped into `gap`. */
  private cursor = 0;
  private gap: PendingGap | null = null;
  /** Bumped by every subscribe and by close: a catch-up loop of an older generation stops. */
  private generation = 0;
  private waiters: (() => void)[] = [];
  private sent = 0;
  private dropped = 0;
  private gaps = 0;
  /** Answered a ping since the last heartbeat (set by the server on pong). */
  alive = true;
  /** Heartbeats in a row at which the client had neither answered a ping nor read anything. */
  private silent = 0;
  /** The send buffer's size at the last heartbeat. */
  private lastBuffered = 0;

  constructor(readonly id: number, private readonly ws: WebSocket, private readonly stream: StreamView, private readonly bufferBytes: number) {}

  /** The seq a control message carries: everything matching at or below it was sent or reported in a gap. */
  controlSeq(): number {
    return this.gap ? this.gap.from - 1 : this.cursor;
  }

  stats(): ClientStats {
    return { id: this.id, mode: this.mode, cursor: this.cursor, sent: this.sent, dropped: this.dropped, gaps: this.gaps };
  }

  /**
   * At each heartbeat: false when, for two heartbeats in a row, the client neither answered a ping
   * nor read anything (its send buffer did not shrink: a ping may wait behind data it is reading).
   * Two, so that a client whose event loop was busy for one interval is not cut off.
   */
  checkAlive(): boolean {
    const buffered = this.ws.bufferedAmount;
    const reading = buffered < this.lastBuffered;
    this.lastBuffered = buffered;
    this.silent = this.alive || reading ? 0 : this.silent + 1;
    this.alive = false;
    return this.silent < 2;
  }

  private hasRoom(): boolean {
    return this.ws.bufferedAmount <= this.bufferBytes;
  }

  private readonly onWritten = (): void => {
    if (!this.hasRoom()) return;
    this.flushGap();
    const w = this.waiters;
    this.waiters = [];
    for (const wake of w) wake();
  };

  private sendText(text: string): void {
    if (this.mode === 'closed' || this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(text, this.onWritten);
  }

  sendControl(msg: Record<string, unknown>): void {
    this.sendText(JSON.stringify({ ...msg, seq: this.controlSeq() }));
  }

  private sendEvent(e: WireEvent): void {
    this.sendText(e.text);
    this.sent++;
  }

  /** Sends the pending gap report when the client has room for it (heartbeat, writes completing). */
  flushGap(): void {
    if (!this.gap || !this.hasRoom()) return;
    const g = this.gap;
    this.gap = null;
    this.gaps++;
    this.sendControl({ type: 'gap', from: g.from, to: g.to, count: g.count, reason: 'slow' });
  }

  /** A new event of the stream. While catching up, the catch-up loop will take it from memory. */
  offer(e: WireEvent): void {
    if (this.mode !== 'live' || e.seq <= this.cursor) return;
    this.cursor = e.seq;
    if (!matches(this.filter, e)) return;
    if (!this.hasRoom()) {
      this.gap ??= { from: e.seq, to: e.seq, count: 0 };
      this.gap.to = e.seq;
      this.gap.count++;
      this.dropped++;
      return;
    }
    this.flushGap(); // room again: first say what was missed
    this.sendEvent(e);
  }

  subscribe(from: number, filter: Filter): void {
    const gen = ++this.generation;
    this.filter = filter;
    // A pending gap is superseded: the new cursor says where the client is now.
    this.gap = null;
    this.cursor = from - 1;
    this.mode = 'catching-up';
    this.sendControl({ type: 'subscribed', from, filter });
    void this.catchUp(gen);
  }

  private waitForRoom(): Promise<void> {
    if (this.hasRoom()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private async deliver(gen: number, e: WireEvent): Promise<boolean> {
    await this.waitForRoom();
    if (gen !== this.generation) return false;
    this.cursor = e.seq;
    if (matches(this.filter, e)) this.sendEvent(e);
    return true;
  }

  /** History from cursor + 1 to the stream's head, then live. Never drops: waits for the client. */
  private async catchUp(gen: number): Promise<void> {
    while (gen === this.generation) {
      const next = this.cursor + 1;
      if (next > this.stream.head()) {
        // No await between this check and the switch: no live event can slip between the two.
        this.mode = 'live';
        this.sendControl({ type: 'caught-up' });
        return;
      }
      const fromMemory = this.stream.recent(next);
      if (fromMemory) {
        if (!(await this.deliver(gen, fromMemory))) return;
        continue;
      }
      const reread = this.stream.reread(next);
      if (reread === null) {
        // Nothing to re-read (a live stream without its file): say what is gone, go on from memory.
        this.expired(next);
        continue;
      }
      for await (const e of reread) {
        if (gen !== this.generation) return;
        // Back in memory, or past what the stream has emitted: the outer loop takes over.
        if (e.seq > this.stream.head() || this.stream.recent(e.seq)) break;
        if (!(await this.deliver(gen, e))) return;
      }
      // The re-read had nothing at `next` (a growing file not written that far yet): give up on it.
      if (this.cursor + 1 === next) this.expired(next);
    }
  }

  /** Events from `from` up to the oldest in memory cannot be had: a gap, then on from memory. */
  private expired(from: number): void {
    this.cursor = this.stream.recentFirst() - 1;
    this.gaps++;
    this.sendControl({ type: 'gap', from, to: this.cursor, count: null, reason: 'expired' });
  }

  close(): void {
    this.generation++;
    this.mode = 'closed';
    const w = this.waiters;
    this.waiters = [];
    for (const wake of w) wake();
  }
}
