// One websocket client: its subscription, its cursor in the stream, and how events reach it.
// Two modes. Catching up (after `subscribe`): history from the ring or the stream's re-read,
// paced by the client (the server waits while its send buffer is full; nothing is lost).
// Live: events as they happen; when the send buffer is over the limit the event is dropped for
// this client only and counted into a pending `gap`, sent as soon as the buffer has room again.
//
// Events come in batches (what the stream published at once, or a run of history from memory).
// Their frames are prebuilt and shared by every client (text-frames.ts); a batch's frames for this
// client are queued and written to the socket before `offer` returns: one write (one writev, one
// system call) per batch instead of one per event, and never later than the batch itself. Nothing
// is held across turns of the event loop: on the live path a batch is one event, written the
// moment it is published, as before (the stdout line and the websocket message leave together).

import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { ALL, matches, type Filter } from './subscription.js';
import { adjacent } from './text-frames.js';
import type { ClientStats, SessionLimits, StreamView } from './session-types.js';
import type { WireEvent } from './wire-message.js';

export type { ClientStats, SessionLimits, StreamView } from './session-types.js';

interface PendingGap { from: number; to: number; count: number }

/**
 * Queued frames are written once they reach this many bytes, even mid-batch: the send buffer
 * the slow-client rule reads then lags what was sent by at most this much.
 */
const WRITE_BYTES = 64 * 1024;

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
  private peakBuffered = 0;
  private notReading = false;
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

  /** Frames of the batch being sent, not yet written: runs of contiguous memory. */
  private queued: Buffer[] = [];
  private queuedBytes = 0;

  /** `socket` is the connection `ws` reads and writes: event frames are written to it directly. */
  constructor(readonly id: number, private readonly ws: WebSocket, private readonly socket: Duplex, private readonly stream: StreamView, private readonly limits: SessionLimits,
    /** Something threw in this client's catch-up: it is closed with 1011, the server goes on. */
    private readonly onFailure: (e: unknown) => void) {}

  /** The seq a control message carries: everything matching at or below it was sent or reported in a gap. */
  controlSeq(): number {
    return this.gap ? this.gap.from - 1 : this.cursor;
  }

  stats(): ClientStats {
    const buffered = this.buffered();
    return {
      id: this.id, mode: this.mode, cursor: this.cursor, sent: this.sent, dropped: this.dropped, gaps: this.gaps,
      buffered, peakBuffered: Math.max(this.peakBuffered, buffered), notReading: this.notReading,
    };
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

  /** The send buffer: what ws and the socket hold, and the frames queued for the batch being sent. */
  private buffered(): number {
    return this.ws.bufferedAmount + this.queuedBytes;
  }

  private hasRoom(): boolean {
    return this.buffered() <= this.limits.bufferBytes;
  }

  private written(): void {
    const b = this.buffered();
    if (b > this.peakBuffered) this.peakBuffered = b;
  }

  /**
   * After each client message is handled: while the send buffer is over the limit the client's
   * messages are not read (each may ask for a reply), so what it can make the server queue is
   * bounded; reading resumes when the buffer is back under the limit (onWritten). Only here, not
   * after every event written: a slow reader that sends nothing is not paused and resumed per batch.
   */
  pauseIfFull(): void {
    if (!this.hasRoom() && !this.ws.isPaused) this.ws.pause();
  }

  private readonly onWritten = (): void => {
    if (!this.hasRoom()) return;
    if (this.ws.isPaused) this.ws.resume();
    this.flushGap();
    const w = this.waiters;
    this.waiters = [];
    for (const wake of w) wake();
  };

  private writable(): boolean {
    return this.mode !== 'closed' && this.ws.readyState === this.ws.OPEN;
  }

  /** A message ws frames (control messages), after the frames queued before it. */
  private sendText(text: string): void {
    this.writeQueued();
    if (!this.writable()) return;
    if (this.buffered() + text.length > this.limits.dropBytes) {
      // Its buffer grew by what it asked for or was told, not by events (those stop at bufferBytes).
      this.notReading = true;
      this.ws.terminate();
      return;
    }
    this.ws.send(text, this.onWritten);
    this.written();
  }

  sendControl(msg: Record<string, unknown>): void {
    this.sendText(JSON.stringify({ ...msg, seq: this.controlSeq() }));
  }

  /** Queues an event's frame; the caller writes the queue before it returns (writeQueued). */
  private sendEvent(e: WireEvent): void {
    this.sent++;
    if (!this.writable()) return;
    const last = this.queued.length - 1;
    const run = this.queued[last];
    // Frames of one batch lie back to back in memory: a run of them is one slice.
    if (run !== undefined && adjacent(run, e.frame)) this.queued[last] = Buffer.from(run.buffer, run.byteOffset, run.length + e.frame.length);
    else this.queued.push(e.frame);
    this.queuedBytes += e.frame.length;
    if (this.queuedBytes >= WRITE_BYTES) this.writeQueued();
  }

  /**
   * Hands the queued frames to the socket now, in one writev when there are several. They go
   * beside ws's own frames: ws writes each of its frames to the socket at once and whole (no
   * compression is negotiated), and control messages write the queue first, so frames never
   * interleave and keep their order. Nothing is written once ws is closing.
   */
  private writeQueued(): void {
    const q = this.queued;
    if (q.length === 0) return;
    this.queued = [];
    this.queuedBytes = 0;
    if (!this.writable()) return;
    if (q.length === 1) {
      this.socket.write(q[0], this.onWritten);
    } else {
      this.socket.cork();
      for (let i = 0; i < q.length - 1; i++) this.socket.write(q[i]);
      this.socket.write(q[q.length - 1], this.onWritten);
      this.socket.uncork();
    }
    this.written();
  }

  /** Sends the pending gap report when the client has room for it (heartbeat, writes completing). */
  flushGap(): void {
    if (!this.gap || !this.hasRoom()) return;
    const g = this.gap;
    this.gap = null;
    this.gaps++;
    this.sendControl({ type: 'gap', from: g.from, to: g.to, count: g.count, reason: 'slow' });
  }

  /**
   * New events of the stream, in seq order, written before this returns. While catching up, the
   * catch-up loop will take them from memory.
   */
  offer(events: readonly WireEvent[]): void {
    if (this.mode !== 'live') return;
    for (const e of events) {
      if (e.seq <= this.cursor) continue;
      this.cursor = e.seq;
      if (!matches(this.filter, e)) continue;
      if (!this.hasRoom()) {
        this.gap ??= { from: e.seq, to: e.seq, count: 0 };
        this.gap.to = e.seq;
        this.gap.count++;
        this.dropped++;
        continue;
      }
      this.flushGap(); // room again: first say what was missed
      this.sendEvent(e);
    }
    this.writeQueued();
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
    this.catchUp(gen, this.aborter.signal).catch((e: unknown) => {
      if (gen === this.generation) this.onFailure(e);
    });
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
    this.writeQueued();
    return true;
  }

  /**
   * History held in memory, from the cursor on, while the client has room: one batch, written
   * before this returns. Stops at the first seq no longer (or not yet) in memory; the catch-up
   * loop goes on from there.
   */
  private sendFromMemory(): void {
    for (let seq = this.cursor + 1; this.hasRoom() && seq <= this.stream.head(); seq++) {
      const e = this.stream.recent(seq);
      if (!e) break;
      this.cursor = seq;
      if (matches(this.filter, e)) this.sendEvent(e);
    }
    this.writeQueued();
  }

  /** History from cursor + 1 to the stream's head, then live. Never drops: waits for the client. */
  private async catchUp(gen: number, signal: AbortSignal): Promise<void> {
    while (gen === this.generation) {
      const next = this.cursor + 1;
      if (next > this.stream.head()) {
        // No await between this check and the switch: no live event can slip between the two.
        this.mode = 'live';
        this.sendControl({ type: 'caught-up' });
        return;
      }
      if (this.stream.recent(next)) {
        await this.waitForRoom();
        if (gen !== this.generation) return;
        this.sendFromMemory();
        continue;
      }
      const reread = this.stream.reread(next, signal);
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
    const w = this.waiters;
    this.waiters = [];
    for (const wake of w) wake();
  }
}
