// A client's message (docs/protocol.md, "Client messages"), taken apart before anything acts on it:
// a JSON object with a string `type`, at most MAX_DEPTH deep, of a known type with good fields.
// What the server sends back is built from validated values only: a `pong` carries the ping's `id`
// only when it is a primitive of bounded size, and `subscribed` a filter of known event types
// without repeats. So nothing a client sends is re-serialised as it came (a deeply nested value
// would overflow JSON.stringify's stack; a long one would grow the reply queue).

import type { RawData } from 'ws';
import { CLOSE_BAD_FIELD, CLOSE_MALFORMED, CLOSE_UNKNOWN_TYPE } from './close-codes.js';
import { BadField, parseSubscribe, type Subscribe } from './subscription.js';

/** Client messages are flat: `subscribe`'s `kinds` array is the deepest thing in them (depth 2). */
export const MAX_DEPTH = 4;

/** A ping's `id` string is echoed up to this many characters (docs/protocol.md). */
export const MAX_ID_LENGTH = 128;

export type ClientMessage =
  | { type: 'subscribe'; sub: Subscribe }
  | { type: 'ping'; id: string | number | boolean | null };

export interface Refused { close: number; reason: string }

/**
 * Whether a JSON text nests arrays and objects deeper than `max`: one pass over the text
 * (brackets inside strings do not count), before JSON.parse builds anything.
 */
export function nestsDeeper(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) { if (++depth > max) return true; }
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

function pingId(id: unknown): string | number | boolean | null | BadField {
  if (id === undefined || id === null) return null;
  if (typeof id === 'boolean' || (typeof id === 'number' && Number.isFinite(id))) return id;
  if (typeof id === 'string' && id.length <= MAX_ID_LENGTH) return id;
  return new BadField(`id: a number, a boolean or a string of at most ${MAX_ID_LENGTH} characters`);
}

export function parseClientMessage(data: RawData, isBinary: boolean): ClientMessage | Refused {
  const malformed: Refused = { close: CLOSE_MALFORMED, reason: 'expected a JSON object with a string type' };
  if (isBinary) return malformed;
  const text = Buffer.isBuffer(data) ? data.toString() : Array.isArray(data) ? Buffer.concat(data).toString() : Buffer.from(data).toString();
  if (nestsDeeper(text, MAX_DEPTH)) return { close: CLOSE_MALFORMED, reason: `nested deeper than ${MAX_DEPTH}` };
  let m: unknown;
  try { m = JSON.parse(text); } catch { return malformed; }
  if (typeof m !== 'object' || m === null || Array.isArray(m) || typeof (m as { type?: unknown }).type !== 'string') return malformed;
  const msg = m as Record<string, unknown>;
  const type = msg['type'] as string;
  try {
    if (type === 'subscribe') return { type, sub: parseSubscribe(msg) };
    if (type === 'ping') {
      const id = pingId(msg['id']);
      if (id instanceof BadField) throw id;
      return { type, id };
    }
  } catch (e) {
    if (e instanceof BadField) return { close: CLOSE_BAD_FIELD, reason: e.message };
    throw e;
  }
  return { close: CLOSE_UNKNOWN_TYPE, reason: `unknown message type ${JSON.stringify(type.slice(0, 40))}` };
}
