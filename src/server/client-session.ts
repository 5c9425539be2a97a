// One websocket client: its subscription, its cursor in the stream, and which events it is sent
// (how they reach it: client-sender.ts). Two modes. Catching up (after `subscribe`): history from
// the ring or the stream's re-read, paced by the client (the server waits while its send buffer
// is full; nothing is lost). Live: events as they happen; when the send buffer is over the limit
// the event is dropped for this client only and counted into a pending `gap`, sent as soon as
// the buffer has room again.
//
// Events come in batches (what the stream published at once, or a run of history from memory),
// each batch sent before `offer` returns. Nothing is held across turns of the event loop: on the
// live path a batch is one event, sent the moment it is published (the stdout line and the
// websocket message leave together).

import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { ClientSender } from './client-sender.js';
import { ALL, matches, type Filter } from './subscription.js';
import type { ClientStats, SessionLimits, StreamView } from './session-types.js';
import type { WireEvent } from './wire-message.js';

export type { ClientStats, SessionLimits, StreamView } from './session-types.js';

interface PendingGap { from: number; to: number; count: number }

export class ClientSession {
  private mode: ClientStats['mode'] = 'idle';
  private filter: Filter = ALL;
  /** Last seq dealt with: sent, filtered out, or dropped into `gap`. */
  private cursor = 0;
  private gap: PendingGap | null = null;
  /** Bumped by every subscribe and by close: a catch-up loop of an older generation stops. */
  private generation = 0;
  /** Aborted with the generation: a re-read (or its wait for a permit) of an older one ends. */
  private aborter = new AbortController();
  private sent = 0;
  private dropped = 0;
  private gaps = 0;
  private readonly out: ClientSender;

  constructor(readonly id: number, ws: WebSocket, socket: Duplex, private readonly stream: StreamView, limits: SessionLimits,
    /** Something threw in this client's catch-up: it is closed with 1011, the server goes on. */
    private readonly onFailure: (e: unknown) => void) {
    this.out = new ClientSender(ws, socket, limits, () => this.flushGap());
  }

  /** The seq a control message carries: everything matching at or below it was sent or reported in a gap. */
  controlSeq(): number {
    return this.gap ? this.gap.from - 1 : this.cursor;
  }

  stats(): ClientStats {
    const buffered = this.out.buffered();
    return {
      id: this.id, mode: this.mode, cursor: this.cursor, sent: this.sent, dropped: this.dropped, gaps: this.gaps,
      buffered, peakBuffered: Math.max(this.out.peakBuffered, buffered), notReading: this.out.notReading,
    };
  }

  /** Answered a ping (the server's pong handler). */
  ponged(): void {
    this.out.alive = true;
  }

  /** At each heartbeat: false when the client is neither answering pings nor reading (client-sender.ts). */
  checkAlive(): boolean {
    return this.out.checkAlive();
  }

  /** After each client message is handled: stop reading its messages while its buffer is full. */
  pauseIfFull(): void {
    this.out.pauseIfFull();
  }

  sendControl(msg: Record<string, unknown>): void {
    this.out.text(JSON.stringify({ ...msg, seq: this.controlSeq() }));
  }

  private sendEvent(e: WireEvent): void {
    this.sent++;
    this.out.event(e);
  }

  /** Sends the pending gap report when the client has room for it (heartbeat, writes completing). */
  flushGap(): void {
    if (!this.gap || !this.out.hasRoom()) return;
    const g = this.gap;
    this.gap = null;
    this.gaps++;
    this.sendControl({ type: 'gap', from: g.from, to: g.to, count: g.count, reason: 'slow' });
  }

  /**
   * New events of the stream, in seq order, sent before this returns. While catching up, the
   * catch-up loop will take them from memory.
   */
  offer(events: readonly WireEvent[]): void {
    if (this.mode !== 'live') return;
    this.out.batch(() => {
      for (const e of events) {
        if (e.seq <= this.cursor) continue;
        this.cursor = e.seq;
        if (!matches(this.filter, e)) continue;
        if (!this.out.hasRoom()) {
          this.gap ??= { from: e.seq, to: e.seq, count: 0 };
          this.gap.to = e.seq;
          this.gap.count++;
          this.dropped++;
          continue;
        }
        this.flushGap(); // room again: first say what was missed
        this.sendEvent(e);
      }
    });
  }

  subscribe(from: number, filter: Filter): void {
    const gen = ++this.generation;
    this.aborter.abort();
    this.aborter = new AbortController();
    this.filter = filter;
    // A pending gap is superseded: the new cursor says where the client is now.
    this.gap = null;
    this.cursor = from - 1;
    this.mode = 'catching-up';
    this.sendControl({ type: 'subscribed', from, filter });
    // A stream with a state (a fleet view) starts a client from scratch with that state, not with
    // every update since the start.
    const snapshotFirst = from <= 1 || from < this.stream.recentFirst();
    this.catchUp(gen, this.aborter.signal, snapshotFirst).catch((e: unknown) => {
      if (gen === this.generation) this.onFailure(e);
    });
  }

  private async deliver(gen: number, e: WireEvent): Promise<boolean> {
    await this.out.waitForRoom();
    if (gen !== this.generation) return false;
    this.cursor = e.seq;
    if (matches(this.filter, e)) this.sendEvent(e);
    return true;
  }

  /**
   * History held in memory, from the cursor on, while the client has room: one batch, written
   * before this returns. Stops at the first seq no longer (or not yet) in memory; the catch-up
   * loop goes on from there.
   */
  private sendFromMemory(): void {
    this.out.batch(() => {
      for (let seq = this.cursor + 1; this.out.hasRoom() && seq <= this.stream.head(); seq++) {
        const e = this.stream.recent(seq);
        if (!e) break;
        this.cursor = seq;
        if (matches(this.filter, e)) this.sendEvent(e);
      }
    });
  }

  /** History from cursor + 1 to the stream's head, then live. Never drops: waits for the client. */
  private async catchUp(gen: number, signal: AbortSignal, snapshotFirst: boolean): Promise<void> {
    if (snapshotFirst && !(await this.sendSnapshot(gen))) return;
    while (gen === this.generation) {
      const next = this.cursor + 1;
      if (next > this.stream.head()) {
        // No await between this check and the switch: no live event can slip between the two.
        this.mode = 'live';
        this.sendControl({ type: 'caught-up' });
        return;
      }
      if (this.stream.recent(next)) {
        await this.out.waitForRoom();
        if (gen !== this.generation) return;
        this.sendFromMemory();
        continue;
      }
      const reread = this.stream.reread(next, signal);
      if (reread === null && this.stream.snapshot() !== null) {
        // Fell behind the ring while reading the last snapshot: the state again, then on.
        if (!(await this.sendSnapshot(gen))) return;
        continue;
      }
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
      if (gen !== this.generation) return;
      // The re-read had nothing at `next` (a growing file not written that far yet): give up on it.
      if (this.cursor + 1 === next) this.expired(next);
    }
  }

  /**
   * The stream's state (when it has one) as of its head: the cursor moves there, and each part
   * waits for room (never dropped, as history). False when a new subscribe or close took over.
   */
  private async sendSnapshot(gen: number): Promise<boolean> {
    const head = this.stream.head();
    const parts = this.stream.snapshot();
    if (parts === null) return true;
    this.cursor = head;
    for (const p of parts) {
      await this.out.waitForRoom();
      if (gen !== this.generation) return false;
      this.sendControl(p);
    }
    return true;
  }

  /** Events from `from` up to the oldest in memory cannot be had: a gap, then on from memory. */
  private expired(from: number): void {
    this.cursor = this.stream.recentFirst() - 1;
    this.gaps++;
    this.sendControl({ type: 'gap', from, to: this.cursor, count: null, reason: 'expired' });
  }

  close(): void {
    this.generation++;
    this.aborter.abort();
    this.mode = 'closed';
    this.out.close();
  }
}
