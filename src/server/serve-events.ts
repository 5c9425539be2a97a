// serveEvents(options): Promise<ServeHandle> — serves one stream of pipeline events to websocket
// clients (docs/protocol.md), plus the page in web/. Shared by `cfgscope serve` (a capture file
// replayed) and live capture.
//
//   serveEvents({
//     source:  Observable<ServedEvent | readonly ServedEvent[]>
//                                        events in stream order, one at a time or in batches (a
//                                        batch is serialised once for all clients and written to
//                                        each in one socket write, before the next emission);
//                                        the server numbers them 1, 2, ... (subscribed
//                                        once, at start; an error ends the stream with an `error`
//                                        event)
//              | (prepare) => Observable<readonly WireEvent[]>
//                                        or events the source prepares ahead with the server's
//                                        `prepare` (numbered, serialised) and emits when due
//                                        (replayCapture: a replay reading ahead of its clock)
//     history?: (from) => AsyncIterable<ServedEvent>
//                                        the same events again from seq `from` (a re-read of the
//                                        capture file through the same pipeline); without it, a
//                                        resume older than the ring gets a `gap` (reason expired)
//     snapshot?: () => object[]           the state the events update (a fleet view), as control
//                                        messages sent instead of history on a subscribe from 1
//                                        or from before the ring
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
// (http-gate.ts, client-message.ts) and catches what it did not expect (guarded.ts);
// docs/security.md. The parts: the stream (served-stream.ts), the page and upgrades
// (http-handlers.ts), the websocket clients (websocket-clients.ts, one client-session.ts each).
//
// Everything lives in the returned server: two servers in one process share nothing.

import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Observable, Subscription } from 'rxjs';
import { CfgscopeError } from '../model/errors.js';
import { InternalErrors } from './guarded.js';
import { HttpHandlers } from './http-handlers.js';
import { DEFAULT_LISTEN, isLoopback } from './listen-address.js';
import { parseAllowedOrigin } from './peer-check.js';
import { RereadPermits } from './reread-permits.js';
import { ServedStream } from './served-stream.js';
import type { ServeHandle, ServeOptions } from './serve-types.js';
import type { ServedEvent, WireEvent } from './wire-message.js';

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
  const heartbeatMs = o.heartbeatMs ?? 5000;
  const bufferBytes = o.bufferBytes ?? 1 << 20;
  const maxPayload = o.maxPayload ?? 64 * 1024;
  const maxClients = o.maxClients ?? 64;
  const permits = new RereadPermits(o.maxRereads ?? 2);
  const version = packageVersion();

  const errors = new InternalErrors(o.onInternalError);
  const stream = new ServedStream(o.ringSize ?? 10_000, permits, o.history, o.snapshot);
  const hello = (): Record<string, unknown> => ({
    type: 'hello', protocol: PROTOCOL_VERSION, server: { name: 'cfgscope', version },
    stream: { ...o.meta, header: stream.header },
    first: stream.first(), next: stream.head() + 1, ended: stream.ended, heartbeatMs,
    limits: { maxPayload, bufferBytes, ring: stream.ring.capacity, maxClients, maxRereads: permits.max },
  });
  // Loaded here, not at start-up: node:http, ws and its tls/crypto imports cost every other
  // command (a small `check`) ~0.02-0.05 s of CPU before its first record.
  const { createServer } = await import('node:http');
  const { WebsocketClients } = await import('./websocket-clients.js');
  const clients = new WebsocketClients(stream, {
    token, maxPayload, limits: { bufferBytes, dropBytes: bufferBytes + DROP_SLACK }, hello,
    onTokenRefused: () => { handlers.refused.token++; },
  }, errors);
  const handlers = new HttpHandlers({ peer, token, webRoot: o.webRoot ?? `${packageRoot}web`, maxClients }, clients, errors);

  const http = createServer(errors.guard(handlers.request, (_req, res) => {
    if (res.headersSent) res.destroy();
    else res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('cfgscope serve: internal error\n');
  }));
  http.on('upgrade', errors.guard(handlers.upgrade, (_req, socket) => socket.destroy()));
  http.on('clientError', handlers.clientError);

  await new Promise<void>((resolve, reject) => {
    const fail = (e: NodeJS.ErrnoException): void => reject(new CfgscopeError('SERVE_LISTEN_FAILED', `cannot listen on ${listen.host}:${listen.port}: ${e.code ?? e.message}`));
    http.once('error', fail);
    http.listen(listen.port, listen.host, () => { http.off('error', fail); resolve(); });
  });
  const addr = http.address() as AddressInfo;
  const heartbeat = setInterval(() => clients.heartbeat(), heartbeatMs);

  /**
   * Each batch is serialised once; every client is written it before this returns (nothing
   * waits for a later turn: a live event leaves when it is published).
   */
  const publishWired = (wired: readonly WireEvent[]): void => {
    stream.publish(wired);
    if (wired.length > 0) clients.offer(wired);
  };
  const publish = (batch: ServedEvent | readonly ServedEvent[]): void => publishWired(stream.prepare(batch));
  // A replay prepares its events ahead (the server's numbering and serialising) and emits them
  // when due; any other source's events are prepared and published as they come.
  const source = o.source;
  // A batch that fails to serialise is lost, reported (onInternalError), as a throwing publish is.
  const prepare = (batch: readonly ServedEvent[]): WireEvent[] => {
    try { return stream.prepare(batch); } catch (e) { errors.caught(e); return []; }
  };
  const wiredSource = typeof source === 'function' ? source(prepare) : null;
  let subscription: Subscription | null = null;
  const ended = new Promise<void>((resolve) => {
    const observer = {
      error: (e: unknown) => {
        const err = e instanceof CfgscopeError ? e : null;
        // What was prepared ahead and never released is not published: the error follows the last.
        stream.dropPrepared();
        errors.guard(publish, () => undefined)({ kind: 'error', code: err?.code ?? 'SOURCE_FAILED', message: (e as Error).message });
        stream.ended = true;
        resolve();
      },
      complete: () => { stream.ended = true; resolve(); },
    };
    // A throwing publish loses its batch, reported (onInternalError); the stream and server go on.
    subscription = wiredSource
      ? wiredSource.subscribe({ next: errors.guard(publishWired, () => undefined), ...observer })
      : (source as Observable<ServedEvent | readonly ServedEvent[]>).subscribe({ next: errors.guard(publish, () => undefined), ...observer });
  });

  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    host: addr.address,
    port: addr.port,
    ended,
    stats: () => {
      const c = clients.stats();
      return {
        head: stream.head(), ended: stream.ended, clients: c.clients, refused: { ...handlers.refused },
        droppedNotReading: clients.droppedNotReading, peakBuffered: c.peakBuffered, rereads: permits.stats(),
        internalErrors: errors.count,
      };
    },
    close: async () => {
      clearInterval(heartbeat);
      subscription?.unsubscribe();
      await clients.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
