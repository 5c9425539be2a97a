// What a client session (client-session.ts) is given and what it tells: the stream it follows,
// the memory it may hold, its stats (serveEvents' stats(), docs/protocol.md).

import type { WireEvent } from './wire-message.js';

/** What the session needs of the stream it follows (owned by serveEvents). */
export interface StreamView {
  /** seq of the newest event (0 before the first). */
  head(): number;
  /** A recent event from memory, undefined when it is not (or no longer) there. */
  recent(seq: number): WireEvent | undefined;
  /** Oldest seq held in memory. */
  recentFirst(): number;
  /**
   * Events from `from` on, re-read from the source (a capture file); null when there is none.
   * Waits for a re-read permit first (reread-permits.ts); ends at once when `signal` aborts.
   */
  reread(from: number, signal: AbortSignal): AsyncIterable<WireEvent> | null;
  /**
   * The stream's state as a few control messages (a fleet view's rows), reflecting every event up
   * to head(); null when the stream has none (a capture's events are history, not state).
   */
  snapshot(): Record<string, unknown>[] | null;
}

/** What one client may hold in the server's memory (serveEvents' options; docs/security.md). */
export interface SessionLimits {
  /** Send buffer above which live events are dropped (gap) and the client's messages are not read. */
  bufferBytes: number;
  /**
   * Send buffer at which a client is cut off: it is not reading what it asked for (pong, subscribed)
   * or is sent (heartbeats). Above bufferBytes by what one read of its messages can ask for.
   */
  dropBytes: number;
}

export interface ClientStats {
  id: number;
  mode: 'idle' | 'catching-up' | 'live' | 'closed';
  cursor: number;
  sent: number;
  dropped: number;
  gaps: number;
  /** Bytes waiting to be written to this client now, and the most there ever were. */
  buffered: number;
  peakBuffered: number;
  /** Cut off for not reading (its send buffer reached SessionLimits.dropBytes). */
  notReading: boolean;
}
