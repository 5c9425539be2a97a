// Closing a client's websocket with a code of close-codes.ts and a reason that fits the frame.

import type { WebSocket } from 'ws';

/** A close frame's reason is at most 123 bytes (RFC 6455); a longer one would make ws throw. */
export function closeWith(ws: WebSocket, code: number, reason: string): void {
  // At most 123 characters first: trimming a long reason (a client's 64 KiB string quoted in it)
  // one character at a time, measuring each time, took seconds of the event loop.
  let r = reason.slice(0, 123);
  while (Buffer.byteLength(r) > 123) r = r.slice(0, -1);
  ws.close(code, r);
}
