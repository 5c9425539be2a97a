// Websocket close codes (docs/protocol.md). 1001, 1009 and 1011 are RFC 6455's; ws sends 1009 itself
// when a client message exceeds maxPayload.

import type { WebSocket } from 'ws';

export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_TOO_BIG = 1009;
/** Something the server did not expect went wrong with this client; the others are served on. */
export const CLOSE_INTERNAL = 1011;
export const CLOSE_MALFORMED = 4400;
export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_UNKNOWN_TYPE = 4404;
export const CLOSE_BAD_FIELD = 4422;

/** A close frame's reason is at most 123 bytes (RFC 6455); a longer one would make ws throw. */
export function closeWith(ws: WebSocket, code: number, reason: string): void {
  // At most 123 characters first: trimming a long reason (a client's 64 KiB string quoted in it)
  // one character at a time, measuring each time, took seconds of the event loop.
  let r = reason.slice(0, 123);
  while (Buffer.byteLength(r) > 123) r = r.slice(0, -1);
  ws.close(code, r);
}
