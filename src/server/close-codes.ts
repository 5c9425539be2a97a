// The websocket close codes (docs/protocol.md, "Close codes"): the one table the server closes
// with, `cfgscope watch` reads (src/watch/watch-client.ts) and the page reads (the server serves
// it as /js/close-codes.js, page-modules.ts). 1001, 1009 and 1011 are RFC 6455's; ws sends 1009
// itself when a client message exceeds maxPayload. Plain data, no imports: it is sent as it is.

export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_TOO_BIG = 1009;
/** Something the server did not expect went wrong with this client; the others are served on. */
export const CLOSE_INTERNAL = 1011;
export const CLOSE_MALFORMED = 4400;
export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_UNKNOWN_TYPE = 4404;
export const CLOSE_BAD_FIELD = 4422;

/** What a close refused: the token (give another), or a message (the client's own fault). */
export type Refused = 'token' | 'message';

/**
 * Closes after which a client reconnecting would be refused the same way, so it should stop:
 * code, what was refused, and what the close means, worded for the client's user.
 */
export const FATAL_CLOSES: readonly (readonly [code: number, refused: Refused, what: string])[] = [
  [CLOSE_UNAUTHORIZED, 'token', 'missing or wrong token'],
  [CLOSE_MALFORMED, 'message', 'the server rejected a malformed message'],
  [CLOSE_UNKNOWN_TYPE, 'message', 'the server does not know a message type'],
  [CLOSE_BAD_FIELD, 'message', 'the server rejected a subscription field'],
  [CLOSE_TOO_BIG, 'message', 'a message was too large for the server'],
];
