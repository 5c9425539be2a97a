// What every HTTP request and websocket upgrade goes through before the server acts on it, in this
// order (docs/security.md): a request target that is a path (else 400), `Host` and `Origin`
// (peer-check.ts; else 403), then, for upgrades, the path (404) and the connection limit (503).
// The token comes after (access-token.ts: 401, or close 4401 on the websocket). Refusals are plain
// text bodies naming the reason; the request's own values are not repeated in them.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { PEER_REFUSAL_TEXT, refusePeer, type PeerRules } from './peer-check.js';

export type RefusalReason = 'bad-request' | 'host' | 'origin' | 'not-found' | 'full' | 'token';

export interface Refusal { status: number; reason: RefusalReason; text: string }

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' };

/**
 * The request's target (a path and query) as a URL; null when it is not one: a proxy's absolute
 * URL, `*`, or what the URL parser refuses. Appended to a fixed origin rather than resolved
 * against it, so that `//x/y` stays the path `//x/y` (resolved, it names the host x; `//` alone
 * made the parser throw).
 */
export function requestUrl(req: IncomingMessage): URL | null {
  const target = req.url ?? '/';
  if (!target.startsWith('/')) return null;
  try {
    return new URL(`http://cfgscope.invalid${target}`);
  } catch {
    return null;
  }
}

/** The checks every request and upgrade share: the URL, then who is asking. */
export function gate(req: IncomingMessage, peer: PeerRules): URL | Refusal {
  const url = requestUrl(req);
  if (url === null) return { status: 400, reason: 'bad-request', text: 'the request target is not a path' };
  const refused = refusePeer(req, peer);
  if (refused !== null) return { status: 403, reason: refused, text: PEER_REFUSAL_TEXT[refused] };
  return url;
}

export function refusalBody(r: Refusal): string {
  return `cfgscope serve: ${r.status} ${r.reason}: ${r.text} (docs/security.md)\n`;
}

export function refuseRequest(res: ServerResponse, r: Refusal, headers: Record<string, string> = {}): void {
  res.writeHead(r.status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', ...headers }).end(refusalBody(r));
}

/** An upgrade refused before the websocket handshake: an HTTP response on the raw socket, then close. */
export function refuseUpgrade(socket: Duplex, r: Refusal): void {
  const body = refusalBody(r);
  socket.end(`HTTP/1.1 ${r.status} ${STATUS_TEXT[r.status] ?? 'Refused'}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n`
    + `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}
