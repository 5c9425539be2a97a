// The types of serveEvents (serve-events.ts): its options, what it says about the stream (`hello`),
// its stats and the handle it returns. Documented in docs/protocol.md ("The library").

import type { Observable } from 'rxjs';
import type { ClientStats } from './client-session.js';
import type { RefusalReason } from './http-gate.js';
import type { ListenAddress } from './listen-address.js';
import type { ServedEvent, WireEvent } from './wire-message.js';

export interface StreamMeta {
  /** Same id = same events with the same seq (a client may resume across server restarts). */
  id: string;
  kind: 'replay' | 'live' | 'fleet';
  file?: string | null;
  format?: string | null;
  /** Replay speed factor; 0 = as fast as possible. */
  speed?: number | null;
  policy: { sources: string[]; rules: number; preserved: unknown[] } | null;
  /** A fleet view (`serve --from`): the NATS server(s) read, without credentials, and the filter. */
  fleet?: { server: string; since: string | null; kernelRelease: string | null };
}

/** The server's numbering and serialising of events (once for every client), for a source that
 *  prepares them ahead of their release; what it returns is published as the source emits it. */
export type Prepare = (batch: readonly ServedEvent[]) => WireEvent[];

export interface ServeOptions {
  /** Events, published as they come; or, for a replay that reads ahead of its clock, a source
   *  that prepares its events with the server's `prepare` and emits them when due. */
  source: Observable<ServedEvent | readonly ServedEvent[]> | ((prepare: Prepare) => Observable<readonly WireEvent[]>);
  history?: (from: number) => AsyncIterable<ServedEvent>;
  /** The state the events update, as control messages: sent on `subscribe` from 1 or from
   *  before the ring, instead of history (a fleet view; docs/protocol.md). */
  snapshot?: () => Record<string, unknown>[];
  meta: StreamMeta;
  listen?: ListenAddress;
  token?: string | null;
  webRoot?: string;
  heartbeatMs?: number;
  ringSize?: number;
  bufferBytes?: number;
  maxPayload?: number;
  allowedOrigins?: readonly string[];
  maxClients?: number;
  maxRereads?: number;
  onInternalError?: (e: unknown) => void;
}

export interface ServeStats {
  head: number;
  ended: boolean;
  clients: ClientStats[];
  /** Requests and upgrades refused, by reason (http-gate.ts; `token`: 401 or close 4401). */
  refused: Record<RefusalReason, number>;
  /** Clients cut off for not reading (their send buffer reached the drop limit), since start. */
  droppedNotReading: number;
  /** The largest send buffer any client had, connected or gone, in bytes. */
  peakBuffered: number;
  /** Re-reads of the history running, waiting for a permit, and how many ever waited. */
  rereads: { running: number; waiting: number; queued: number; max: number };
  /** Unexpected exceptions caught in a handler (each refused one request or closed one client). */
  internalErrors: number;
}

export interface ServeHandle {
  url: string;
  host: string;
  port: number;
  /** Resolves when the source has finished (completed or failed); the server keeps serving. */
  ended: Promise<void>;
  stats(): ServeStats;
  close(): Promise<void>;
}
