// How messages reach one websocket client: through ws's public `send`, the send buffer the
// slow-client rules read (docs/protocol.md, "gap" and "heartbeat"), and the waits for room.
//
// Event messages come serialised (wire-message.ts: the same bytes for every client; ws adds its
// 2-10 byte header and writes the bytes as they are). A batch of them is sent with the client's
// socket corked, so the batch leaves in one writev (one system call) instead of one per event,
// before `batch` returns: nothing is held for a later turn of the event loop. Corking is Node's
// (the socket is the one the upgrade gave the server), not ws's: ws corks and uncorks around each
// frame itself, and nested corks are released by the outermost uncork.

import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { SessionLimits } from './session-types.js';
import type { WireEvent } from './wire-message.js';

/**
 * Within a batch the socket is uncorked once this many bytes are held, and corked again: the send
 * buffer the slow-client rule reads then lags what was handed to the kernel by at most this much.
 */
const WRITE_BYTES = 64 * 1024;

/** ws.send's options for an event: text (opcode 1) though the message is given as bytes. */
const TEXT = { binary: false } as const;

export class ClientSender {
  /** The largest send buffer seen. */
  peakBuffered = 0;
  /** Cut off for not reading (its send buffer reached SessionLimits.dropBytes). */
  notReading = false;
  private waiters: (() => void)[] = [];
  /** Inside `batch`: bytes sent since the socket was last uncorked. */
  private corkedBytes = 0;
  private inBatch = false;
  /**
   * Inside `batch`: the last event not yet handed to ws. It goes with the batch's write callback,
   * so one callback per batch (or per WRITE_BYTES) tells when the buffer shrank.
   */
  private held: Buffer | null = null;
  /** Answered a ping since the last heartbeat (set by the server on pong). */
  alive = true;
  /** Heartbeats in a row at which the client had neither answered a ping nor read anything. */
  private silent = 0;
  /** The send buffer's size at the last heartbeat. */
  private lastBuffered = 0;
  private closed = false;

  /** `socket` is the connection `ws` reads and writes (corked around a batch, never written here). */
  constructor(private readonly ws: WebSocket, private readonly socket: Duplex, private readonly limits: SessionLimits,
    /** Called when a write completes and the client has room again (the session sends its pending gap). */
    private readonly onRoom: () => void) {}

  /** The send buffer: what ws and the socket hold (corked bytes included), and the event held back. */
  buffered(): number {
    return this.ws.bufferedAmount + (this.held?.length ?? 0);
  }

  hasRoom(): boolean {
    return this.buffered() <= this.limits.bufferBytes;
  }

  writable(): boolean {
    return !this.closed && this.ws.readyState === this.ws.OPEN;
  }

  private written(): void {
    const b = this.buffered();
    if (b > this.peakBuffered) this.peakBuffered = b;
  }

  private readonly onWritten = (): void => {
    if (!this.hasRoom()) return;
    if (this.ws.isPaused) this.ws.resume();
    this.onRoom();
    const w = this.waiters;
    this.waiters = [];
    for (const wake of w) wake();
  };

  /**
   * After each client message is handled: while the send buffer is over the limit the client's
   * messages are not read (each may ask for a reply), so what it can make the server queue is
   * bounded; reading resumes when the buffer is back under the limit (onWritten). Only here, not
   * after every event sent: a slow reader that sends nothing is not paused and resumed per batch.
   */
  pauseIfFull(): void {
    if (!this.hasRoom() && !this.ws.isPaused) this.ws.pause();
  }

  waitForRoom(): Promise<void> {
    if (this.hasRoom()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
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

  /** Runs `send` (which sends events) with the socket corked; everything is handed over before this returns. */
  batch(send: () => void): void {
    if (this.inBatch) { send(); return; }
    this.inBatch = true;
    this.socket.cork();
    try {
      send();
    } finally {
      this.release();
      this.inBatch = false;
      this.corkedBytes = 0;
      this.socket.uncork();
    }
    this.written();
  }

  /** Hands the held-back event to ws, with the write callback. */
  private release(): void {
    const h = this.held;
    if (h === null) return;
    this.held = null;
    if (this.writable()) this.ws.send(h, TEXT, this.onWritten);
  }

  /** Sends an event's message (inside `batch`; alone otherwise). */
  event(e: WireEvent): void {
    if (!this.writable()) return;
    if (!this.inBatch) { this.batch(() => this.event(e)); return; }
    if (this.held !== null) this.ws.send(this.held, TEXT);
    this.held = e.data;
    this.corkedBytes += e.data.length;
    if (this.corkedBytes >= WRITE_BYTES) {
      this.release();
      this.corkedBytes = 0;
      this.socket.uncork();
      this.socket.cork();
    }
  }

  /** A control message, after the events sent before it. */
  text(text: string): void {
    this.release();
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

  /** Sends nothing more; whoever waits for room stops waiting. */
  close(): void {
    this.closed = true;
    this.held = null;
    const w = this.waiters;
    this.waiters = [];
    for (const wake of w) wake();
  }
}
