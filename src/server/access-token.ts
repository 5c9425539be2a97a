// The token rules of docs/protocol.md: `?token=`, `Authorization: Bearer`, or the cookie set when
// the page was opened with a good `?token=`. Compared in constant time.

import type { IncomingMessage } from 'node:http';
import { nodeCrypto } from '../model/node-crypto.js';

export const TOKEN_COOKIE = 'cfgscope_token';

function decodeCookie(v: string): string | null {
  try { return decodeURIComponent(v); } catch { return null; }
}

function presented(req: IncomingMessage, url: URL): string[] {
  const found: string[] = [];
  const q = url.searchParams.get('token');
  if (q !== null) found.push(q);
  const auth = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (auth) found.push(auth[1]!.trim());
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k !== TOKEN_COOKIE) continue;
    // A malformed percent-encoding presents no token (decodeURIComponent would throw).
    const value = decodeCookie(v.join('='));
    if (value !== null) found.push(value);
  }
  return found;
}

/** Hashing first makes the comparison length-independent as well. */
const digest = (s: string): Buffer => nodeCrypto().createHash('sha256').update(s).digest();

export function tokenMatches(expected: string, given: string): boolean {
  return nodeCrypto().timingSafeEqual(digest(expected), digest(given));
}

/** True when no token is required, or one of the presented tokens is the right one. */
export function authorized(token: string | null, req: IncomingMessage, url: URL): boolean {
  if (token === null) return true;
  return presented(req, url).some((t) => tokenMatches(token, t));
}

/** The cookie for a page opened with a good `?token=`, so its scripts and websocket need not repeat it. */
export function tokenCookie(token: string | null, url: URL): string | null {
  const q = url.searchParams.get('token');
  if (token === null || q === null || !tokenMatches(token, q)) return null;
  return `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
}
