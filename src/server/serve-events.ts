// serveEvents(options): Promise<ServeHandle> — serves one stream of pipeline events to websocket
// clients (docs/protocol.md), plus the page in web/. Shared by `cfgscope serve` (a capture file
// replayed) and live capture.
//
//   serveEvents({
//     source:  Observable<ServedEvent | readonly ServedEvent[]>
//                                        events in stream order, one at a time or in batches (a
//                                        batch is serialised and framed once for all clients and
//                                        written to each in one socket write, before the next
//                                        emission); the server numbers them 1, 2, ... (subscribed
//                                        once, at start; an error ends the stream with an `error`
//                                        event)
//     history?: (from) => AsyncIterable<ServedEvent>
//                                        the same events again from seq `from` (a re-read of the
//                                        capture file through the same pipeline); without it, a
//                                        resume older than the ring gets a `gap` (reason expired)
//     meta:    StreamMeta                 `hello.stream`: id, kind, file, format, speed, policy
//     listen?: { host, port }             default 127.0.0.1:7878; port 0 picks one
//     token?:  string | null              required unless `listen.host` is loopback
//                                        (CfgscopeError SERVE_TOKEN_REQUIRED otherwise)
//     webRoot?: string                    default: the package's web/ folder
//     heartbeatMs? = 5000, ringSize? = 10000 events, bufferBytes? = 1 MiB per client before it
//     is "slow", maxPayload? = 64 KiB per client message
//   }) -> { url, host, port, ended: Promise<void> (the source finished), stats(), close() }
//
// Everything lives in the returned server: two servers in one process share nothing.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Observable, Subscription } from 'rxjs';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { CfgscopeError } from '../model/errors.js';
import type { HeaderRecord } from '../model/records.js';
import { AccessJson } from './access-json.js';
import { authorized, tokenCookie } from './access-token.js';
import { ClientSession, type ClientStats, type StreamView } from './client-session.js';
import { CLOSE_BAD_FIELD, CLOSE_GOING_AWAY, CLOSE_MALFORMED, CLOSE_UNAUTHORIZED, CLOSE_UNKNOWN_TYPE, closeWith } from './close-codes.js';
import { EventRing } from './event-ring.js';
import { DEFAULT_LISTEN, isLoopback, type ListenAddress } from './listen-address.js';
import { sendStatic } from './static-files.js';
import { BadField, parseSubscribe } from './subscription.js';
import { wireEvent, wireEvents, type ServedEvent } from './wire-message.js';

export const PROTOCOL_VERSION = 1;

export interface StreamMeta {
  /** Same id = same events with the same seq (a client may resume across server restarts). */
  id: string;
  kind: 'replay' | 'live';
  file?: string | null;
  format?: string | null;
  /** Replay speed factor; 0 = as fast as possible. */
  speed?: number | null;
  policy: { sources: string[]; rules: number; preserved: unknown[] } | null;
}

export interface ServeOptions {
  source: Observable<ServedEvent | readonly ServedEvent[]>;
  history?: (from: number) => AsyncIterable<ServedEvent>;
  meta: StreamMeta;
  listen?: ListenAddress;
  token?: string | null;
  webRoot?: string;
  heartbeatMs?: number;
  ringSize?: number;
  bufferBytes?: number;
  maxPayload?: number;
}

export interface ServeStats {
  head: number;
  ended: boolean;
  clients: ClientStats[];
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

const packageRoot = fileURLToPath(new URL('../../', import.meta.url));

function packageVersion(): string {
  try { return (JSON.parse(readFileSync(`${packageRoot}package.json`, 'utf8')) as { version: string }).version; } catch { return 'unknown'; }
}

export async function serveEvents(o: ServeOptions): Promise<ServeHandle> {
  const listen = o.listen ?? DEFAULT_LISTEN;
  const token = o.token ?? null;
  if (token === null && !isLoopback(listen.host)) {
    throw new CfgscopeError('SERVE_TOKEN_REQUIRED', `listening on ${listen.host} reaches other machines: give --token <T> (or CFGSCOPE_TOKEN), or listen on 127.0.0.1`);
  }
  if (token !== null && token.length === 0) throw new CfgscopeError('SERVE_TOKEN_REQUIRED', 'the token is empty');
  const webRoot = o.webRoot ?? `${packageRoot}web`;
  const heartbeatMs = o.heartbeatMs ?? 5000;
  const bufferBytes = o.bufferBytes ?? 1 << 20;
  const maxPayload = o.maxPayload ?? 64 * 1024;
  const ring = new EventRing(o.ringSize ?? 10_000);
  const version = packageVersion();

  const state = { head: 0, ended: false, header: null as Omit<HeaderRecord, 't'> | null, nextClient: 1 };
  const sessions = new Map<WebSocket, ClientSession>();
  const accessJson = new AccessJson();

  const view: StreamView = {
    head: () => state.head,
    recent: (seq) => ring.get(seq),
    recentFirst: () => ring.first,
    reread: (from) => {
      const history = o.history;
      if (!history) return null;
      return (async function* numbered() {
        let seq = from;
        for await (const e of history(from)) yield wireEvent(seq++, e, accessJson);
      })();
    },
  };

  /**
   * Each event is serialised and framed once; every client is written the batch before this
   * returns (nothing waits for a later turn: a live event leaves when it is published).
   */
  const publish = (batch: ServedEvent | readonly ServedEvent[]): void => {
    const events: ServedEvent[] = [];
    for (const e of Array.isArray(batch) ? batch as readonly ServedEvent[] : [batch as ServedEvent]) {
      if (state.ended) break;
      if (e.kind === 'header') { const { t: _t, ...h } = e.header; state.header = h; }
      if (e.kind === 'error') state.ended = true;
      events.push(e);
    }
    if (events.length === 0) return;
    const wired = wireEvents(state.head + 1, events, accessJson);
    state.head += wired.length;
    for (const w of wired) ring.push(w);
    for (const s of sessions.values()) s.offer(wired);
  };

  const hello = (): Record<string, unknown> => ({
    type: 'hello', protocol: PROTOCOL_VERSION, server: { name: 'cfgscope', version },
    stream: { ...o.meta, header: state.header },
    first: o.history ? 1 : ring.first, next: state.head + 1, ended: state.ended, heartbeatMs,
    limits: { maxPayload, bufferBytes, ring: ring.capacity },
  });

  const onMessage = (ws: WebSocket, s: ClientSession, data: RawData, isBinary: boolean): void => {
    let m: unknown;
    try { m = isBinary ? undefined : JSON.parse(data.toString()); } catch { m = undefined; }
    if (typeof m !== 'object' || m === null || Array.isArray(m) || typeof (m as { type?: unknown }).type !== 'string') {
      ws.close(CLOSE_MALFORMED, 'expected a JSON object with a string type');
      return;
    }
    const msg = m as Record<string, unknown>;
    switch (msg['type']) {
      case 'subscribe': {
        try {
          const sub = parseSubscribe(msg);
          s.subscribe(sub.from ?? (o.history ? 1 : ring.first), sub.filter);
        } catch (e) {
          if (!(e instanceof BadField)) throw e;
          closeWith(ws, CLOSE_BAD_FIELD, e.message);
        }
        return;
      }
      case 'ping':
        s.sendControl({ type: 'pong', id: msg['id'] ?? null });
        return;
      default:
        closeWith(ws, CLOSE_UNKNOWN_TYPE, `unknown message type ${JSON.stringify(msg['type'])}`);
    }
  };

  // No compression: event frames are built once for every client and written as they are.
  const wss = new WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: false });
  const onConnection = (ws: WebSocket, req: IncomingMessage, socket: Duplex): void => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (!authorized(token, req, url)) {
      ws.close(CLOSE_UNAUTHORIZED, 'missing or wrong token');
      return;
    }
    const s = new ClientSession(state.nextClient++, ws, socket, view, bufferBytes);
    sessions.set(ws, s);
    ws.on('message', (data, isBinary) => onMessage(ws, s, data, isBinary));
    ws.on('pong', () => { s.alive = true; });
    ws.on('close', () => { s.close(); sessions.delete(ws); });
    // A socket error (reset, a frame over maxPayload) is followed by close; nothing else to do.
    ws.on('error', () => undefined);
    s.sendControl(hello());
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    if (!authorized(token, req, url)) {
      res.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8' }).end('cfgscope serve: missing or wrong token (?token=..., Authorization: Bearer ...)\n');
      return;
    }
    const cookie = tokenCookie(token, url);
    void sendStatic(webRoot, url.pathname, req.method === 'HEAD', res, cookie ? { 'Set-Cookie': cookie } : {});
  };

  const http = createServer(onRequest);
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    // The session writes event frames to the socket itself: given here, not taken from ws's internals.
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, req, socket));
  });
  http.on('clientError', (_e, socket) => { socket.destroy(); });

  await new Promise<void>((resolve, reject) => {
    const fail = (e: NodeJS.ErrnoException): void => reject(new CfgscopeError('SERVE_LISTEN_FAILED', `cannot listen on ${listen.host}:${listen.port}: ${e.code ?? e.message}`));
    http.once('error', fail);
    http.listen(listen.port, listen.host, () => { http.off('error', fail); resolve(); });
  });
  const addr = http.address() as AddressInfo;

  const heartbeat = setInterval(() => {
    for (const [ws, s] of sessions) {
      if (!s.checkAlive()) { ws.terminate(); continue; }
      ws.ping();
      s.flushGap();
      s.sendControl({ type: 'heartbeat', next: state.head + 1, ended: state.ended, time: new Date().toISOString() });
    }
  }, heartbeatMs);

  let subscription: Subscription | null = null;
  const ended = new Promise<void>((resolve) => {
    subscription = o.source.subscribe({
      next: publish,
      error: (e: unknown) => {
        const err = e instanceof CfgscopeError ? e : null;
        publish({ kind: 'error', code: err?.code ?? 'SOURCE_FAILED', message: (e as Error).message });
        state.ended = true;
        resolve();
      },
      complete: () => { state.ended = true; resolve(); },
    });
  });

  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    host: addr.address,
    port: addr.port,
    ended,
    stats: () => ({ head: state.head, ended: state.ended, clients: [...sessions.values()].map((s) => s.stats()) }),
    close: async () => {
      clearInterval(heartbeat);
      subscription?.unsubscribe();
      for (const [ws, s] of sessions) { s.close(); ws.close(CLOSE_GOING_AWAY, 'server shutting down'); }
      await new Promise<void>((resolve) => {
        // Clients that do not answer the close handshake are cut off.
        const force = setTimeout(() => { for (const ws of wss.clients) ws.terminate(); }, 1000);
        wss.close(() => { clearTimeout(force); resolve(); });
      });
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
