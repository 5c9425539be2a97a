// Who may talk to the server at all (docs/security.md): the checks on `Host` and `Origin` made on
// every HTTP request and websocket upgrade, before the token. A browser lets any web page open a
// websocket to 127.0.0.1 (websockets are not bound by CORS) and sends its own `Origin` with it; a
// DNS-rebinding page reaches the server under a name of the attacker's and sends that name as
// `Host`. Both headers are set by the browser and cannot be forged by the page's script, so:
// - `Origin`, when present, must be the served page's own origin (`http://` + the `Host` the
//   request came with) or one given with `--allow-origin`;
// - on a loopback listen address, `Host`, when present, must name a loopback address.
// Clients that are not browsers (`cfgscope watch`, scripts) send no `Origin` and are not affected.

import type { IncomingMessage } from 'node:http';
import { CfgscopeError } from '../model/errors.js';
import { isLoopback } from './listen-address.js';

export type PeerRefusal = 'host' | 'origin';

export interface PeerRules {
  /** Check `Host` (the server listens on a loopback address: no other name can be meant). */
  loopbackHost: boolean;
  /** Origins allowed besides the page's own, as `parseAllowedOrigin` normalised them. */
  allowedOrigins: ReadonlySet<string>;
}

/** The host part of a `Host` header (`[::1]:7878` -> `::1`), lower case, without a trailing dot. */
function hostName(header: string): string | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))(?::\d{1,5})?$/.exec(header.trim());
  if (!m) return null;
  return (m[1] ?? m[2]!).toLowerCase().replace(/\.$/, '');
}

/** Why the request must be refused (403), or null when it may go on. */
export function refusePeer(req: IncomingMessage, rules: PeerRules): PeerRefusal | null {
  const host = req.headers.host;
  if (rules.loopbackHost && host !== undefined) {
    const name = hostName(host);
    if (name === null || !isLoopback(name)) return 'host';
  }
  const origin = req.headers.origin;
  if (origin === undefined) return null;
  const o = origin.trim().toLowerCase();
  if (host !== undefined && o === `http://${host.trim().toLowerCase()}`) return null;
  return rules.allowedOrigins.has(o) ? null : 'origin';
}

/** What the 403's body says for each refusal (docs/security.md). */
export const PEER_REFUSAL_TEXT: Record<PeerRefusal, string> = {
  host: 'Host is not a loopback name or address (DNS rebinding?)',
  origin: 'Origin is neither this page\'s own nor one given with --allow-origin',
};

/**
 * An `--allow-origin` value as browsers send `Origin`: `scheme://host[:port]`, lower case, the
 * default port left out (`http://Example.org:80/` -> `http://example.org`).
 */
export function parseAllowedOrigin(text: string): string {
  let u: URL | null = null;
  try { u = new URL(text); } catch { u = null; }
  const bare = u !== null && (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === ''
    && (u.pathname === '/' || u.pathname === '') && u.search === '' && u.hash === '';
  if (!bare) throw new CfgscopeError('SERVE_BAD_ORIGIN', `--allow-origin ${JSON.stringify(text)}: expected an origin, scheme://host[:port] (e.g. http://localhost:3000)`);
  return u!.origin;
}
