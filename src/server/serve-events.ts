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
//     allowedOrigins?: string[]          `Origin`s accepted besides the page's own (--allow-origin;
//                                        CfgscopeError SERVE_BAD_ORIGIN when one is not an origin)
//     maxClients? = 64                    websocket connections at once (the next one gets 503)
//     maxRereads? = 2                     re-reads of `history` at once (other clients wait)
//     onInternalError?: (e) => void       an unexpected exception in one request or client (that
//                                        request or client is refused, 500 or close 1011)
//   }) -> { url, host, port, ended: Promise<void> (the source finished), stats(), close() }
//
// No request or message can stop the server: every event handler refuses what it cannot take
// (http-gate.ts, client-message.ts) and catches what it did not expect; docs/security.md.
//
// Everything lives in the returned server: two servers in one process share nothing.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Subscription } from 'rxjs';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { CfgscopeError } from '../model/errors.js';
import type { HeaderRecord } from '../model/records.js';
import { AccessJson } from './access-json.js';
import { authorized, tokenCookie } from './access-token.js';
import { parseClientMessage } from './client-message.js';
import { ClientSession, type StreamView } from './client-session.js';
import { CLOSE_GOING_AWAY, CLOSE_INTERNAL, CLOSE_UNAUTHORIZED, closeWith } from './close-codes.js';
import { EventRing } from './event-ring.js';
import { gate, refuseRequest, refuseUpgrade, type Refusal, type RefusalReason } from './http-gate.js';
import { DEFAULT_LISTEN, isLoopback } from './listen-address.js';
import { parseAllowedOrigin } from './peer-check.js';
import { RereadPermits } from './reread-permits.js';
import type { ServeHandle, ServeOptions } from './serve-types.js';
import { sendStatic } from './static-files.js';
import { wireEvent, wireEvents, type ServedEvent } from './wire-message.js';

export const PROTOCOL_VERSION = 1;
export type { ServeHandle, ServeOptions, ServeStats, StreamMeta } from './serve-types.js';

const packageRoot = fileURLToPath(new URL('../../', import.meta.url));

function packageVersion(): string {
  try { return (JSON.parse(readFileSync(`${packageRoot}package.json`, 'utf8')) as { version: string }).version; } catch { return 'unknown'; }
}

/** How far above bufferBytes a client's send buffer may grow (replies, heartbeats) before it is cut off. */
const DROP_SLACK = 256 * 1024;

export async function serveEvents(o: ServeOptions): Promise<ServeHandle> {
  const listen = o.listen ?? DEFAULT_LISTEN;
  const token = o.token ?? null;
  if (token === null && !isLoopback(listen.host)) {
    throw new CfgscopeError('SERVE_TOKEN_REQUIRED', `listening on ${listen.host} reaches other machines: give --token <T> (or CFGSCOPE_TOKEN), or listen on 127.0.0.1`);
  }
  if (token !== null && token.length === 0) throw new CfgscopeError('SERVE_TOKEN_REQUIRED', 'the token is empty');
  const peer = { loopbackHost: isLoopback(listen.host), allowedOrigins: new Set((o.allowedOrigins ?? []).map(parseAllowedOrigin)) };
  const webRoot = o.webRoot ?? `${packageRoot}web`;
  const heartbeatMs = o.heartbeatMs ?? 5000;
  const bufferBytes = o.bufferBytes ?? 1 << 20;
  const limits = { bufferBytes, dropBytes: bufferBytes + DROP_SLACK };
  const maxPayload = o.maxPayload ?? 64 * 1024;
  const maxClients = o.maxClients ?? 64;
  const permits = new RereadPermits(o.maxRereads ?? 2);
  const ring = new EventRing(o.ringSize ?? 10_000);
  const version = packageVersion();

  const state = { head: 0, ended: false, header: null as Omit<HeaderRecord, 't'> | null, nextClient: 1, droppedNotReading: 0, peakBuffered: 0, internalErrors: 0 };
  const refused: Record<RefusalReason, number> = { 'bad-request': 0, host: 0, origin: 0, 'not-found': 0, full: 0, token: 0 };
  const sessions = new Map<WebSocket, ClientSession>();
  /** Upgrades accepted by the gate whose websocket handshake has not finished: they count as clients. */
  const handshaking = new Set<Duplex>();
  const accessJson = new AccessJson();

  const internalError = (e: unknown): void => {
    state.internalErrors++;
    try { o.onInternalError?.(e); } catch { /* a failing reporter must not fail the server */ }
  };

  const view: StreamView = {
    head: () => state.head,
    recent: (seq) => ring.get(seq),
    recentFirst: () => ring.first,
    reread: (from, signal) => {
      const history = o.history;
      if (!history) return null;
      return (async function* numbered() {
        if (!(await permits.acquire(signal))) return;
        try {
          let seq = from;
          for await (const e of history(from)) {
            if (signal.aborted) return;
            yield wireEvent(seq++, e, accessJson);
          }
        } finally {
          permits.release();
        }
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
    for (const [ws, s] of sessions) {
      try { s.offer(wired); } catch (e) { internalError(e); closeWith(ws, CLOSE_INTERNAL, 'internal error'); }
    }
  };

  const hello = (): Record<string, unknown> => ({
    type: 'hello', protocol: PROTOCOL_VERSION, server: { name: 'cfgscope', version },
    stream: { ...o.meta, header: state.header },
    first: o.history ? 1 : ring.first, next: state.head + 1, ended: state.ended, heartbeatMs,
    limits: { maxPayload, bufferBytes, ring: ring.capacity, maxClients, maxRereads: permits.max },
  });

  const onMessage = (ws: WebSocket, s: ClientSession, data: RawData, isBinary: boolean): void => {
    const m = parseClientMessage(data, isBinary);
    if ('close' in m) { closeWith(ws, m.close, m.reason); return; }
    if (m.type === 'subscribe') s.subscribe(m.sub.from ?? (o.history ? 1 : ring.first), m.sub.filter);
    else s.sendControl({ type: 'pong', id: m.id });
    s.pauseIfFull();
  };

  /** A handler that throws refuses what it was handling (`fail`) instead of stopping the server. */
  const guarded = <A extends unknown[]>(handler: (...a: A) => void, fail: (...a: A) => void) => (...a: A): void => {
    try { handler(...a); } catch (e) {
      internalError(e);
      try { fail(...a); } catch { /* already going */ }
    }
  };

  const onClose = (ws: WebSocket, s: ClientSession): void => {
    s.close();
    sessions.delete(ws);
    const st = s.stats();
    if (st.notReading) state.droppedNotReading++;
    state.peakBuffered = Math.max(state.peakBuffered, st.peakBuffered);
  };

  // No compression: event frames are built once for every client and written as they are.
  const wss = new WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: false });
  const onConnection = (ws: WebSocket, req: IncomingMessage, url: URL, socket: Duplex): void => {
    // A socket error (reset, a frame over maxPayload) is followed by close; nothing else to do.
    ws.on('error', () => undefined);
    if (!authorized(token, req, url)) {
      refused.token++;
      ws.close(CLOSE_UNAUTHORIZED, 'missing or wrong token');
      return;
    }
    const s = new ClientSession(state.nextClient++, ws, socket, view, limits, (e) => { internalError(e); closeWith(ws, CLOSE_INTERNAL, 'internal error'); });
    sessions.set(ws, s);
    const closeInternal = (): void => closeWith(ws, CLOSE_INTERNAL, 'internal error');
    ws.on('message', guarded((data: RawData, isBinary: boolean) => onMessage(ws, s, data, isBinary), closeInternal));
    ws.on('pong', () => s.ponged());
    ws.on('close', guarded(() => onClose(ws, s), () => undefined));
    s.sendControl(hello());
  };

  const refuse = (r: Refusal): Refusal => { refused[r.reason]++; return r; };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const url = gate(req, peer);
    if (!(url instanceof URL)) { refuseRequest(res, refuse(url)); return; }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    if (!authorized(token, req, url)) {
      refused.token++;
      res.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8' }).end('cfgscope serve: missing or wrong token (?token=..., Authorization: Bearer ...)\n');
      return;
    }
    const cookie = tokenCookie(token, url);
    sendStatic(webRoot, url.pathname, req.method === 'HEAD', res, cookie ? { 'Set-Cookie': cookie } : {}).catch((e: unknown) => {
      internalError(e);
      res.destroy();
    });
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // Node leaves an upgraded socket without an error listener: a reset would be an uncaught error.
    socket.on('error', () => socket.destroy());
    const url = gate(req, peer);
    if (!(url instanceof URL)) { refuseUpgrade(socket, refuse(url)); return; }
    if (url.pathname !== '/ws') { refuseUpgrade(socket, refuse({ status: 404, reason: 'not-found', text: 'the websocket is at /ws' })); return; }
    if (sessions.size + handshaking.size >= maxClients) {
      refuseUpgrade(socket, refuse({ status: 503, reason: 'full', text: `${maxClients} clients are connected, the most this server takes (--max-clients)` }));
      return;
    }
    handshaking.add(socket);
    // A failed handshake (ws answers 400 itself) never calls back: the socket's close ends it too.
    socket.once('close', () => handshaking.delete(socket));
    // The session writes event frames to the socket itself: given here, not taken from ws's internals.
    wss.handleUpgrade(req, socket, head, guarded((ws: WebSocket) => {
      handshaking.delete(socket);
      onConnection(ws, req, url, socket);
    }, (ws: WebSocket) => closeWith(ws, CLOSE_INTERNAL, 'internal error')));
  };

  const http = createServer(guarded(onRequest, (_req, res) => {
    if (res.headersSent) res.destroy();
    else res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('cfgscope serve: internal error\n');
  }));
  http.on('upgrade', guarded(onUpgrade, (_req, socket) => socket.destroy()));
  http.on('clientError', (e: NodeJS.ErrnoException, socket: Duplex) => {
    // What the HTTP parser cannot read gets a 400 (as Node's default handler); a reset or a
    // timeout (slowloris) just closes.
    if (e.code?.startsWith('HPE_') && socket.writable) {
      refused['bad-request']++;
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    } else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    const fail = (e: NodeJS.ErrnoException): void => reject(new CfgscopeError('SERVE_LISTEN_FAILED', `cannot listen on ${listen.host}:${listen.port}: ${e.code ?? e.message}`));
    http.once('error', fail);
    http.listen(listen.port, listen.host, () => { http.off('error', fail); resolve(); });
  });
  const addr = http.address() as AddressInfo;

  const beat = (ws: WebSocket, s: ClientSession): void => {
    if (!s.checkAlive()) { ws.terminate(); return; }
    ws.ping();
    s.flushGap();
    s.sendControl({ type: 'heartbeat', next: state.head + 1, ended: state.ended, time: new Date().toISOString() });
  };
  const heartbeat = setInterval(() => {
    for (const [ws, s] of sessions) guarded(beat, () => ws.terminate())(ws, s);
  }, heartbeatMs);

  let subscription: Subscription | null = null;
  const ended = new Promise<void>((resolve) => {
    subscription = o.source.subscribe({
      // A throwing publish loses its batch, reported (onInternalError); the stream and server go on.
      next: guarded(publish, () => undefined),
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
    stats: () => {
      const clients = [...sessions.values()].map((s) => s.stats());
      return {
        head: state.head, ended: state.ended, clients, refused: { ...refused }, droppedNotReading: state.droppedNotReading,
        peakBuffered: Math.max(state.peakBuffered, ...clients.map((c) => c.peakBuffered)), rereads: permits.stats(),
        internalErrors: state.internalErrors,
      };
    },
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
