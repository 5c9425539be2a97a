// The one check of what a server sent, before watch reads any of it: each message type against the
// fields watch uses (watch-messages.ts, docs/protocol.md). A frame that fails is not the documented
// format, from a newer or a hostile server: it is skipped, and the reason (with the field's path)
// is counted and reported, never a crash on `m.rule.id` of a finding without `rule`.

import type { ServerMessage } from './watch-messages.js';

export type Checked = { message: ServerMessage; problem?: undefined } | { message?: undefined; problem: string };

type Check = (v: unknown, path: string) => string | null;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str: Check = (v, p) => (typeof v === 'string' ? null : `${p} is not a string`);
const num: Check = (v, p) => (typeof v === 'number' && Number.isFinite(v) ? null : `${p} is not a number`);
const count: Check = (v, p) => (Number.isSafeInteger(v) && (v as number) >= 0 ? null : `${p} is not a count (an integer >= 0)`);
const bool: Check = (v, p) => (typeof v === 'boolean' ? null : `${p} is not true or false`);
const orNull = (c: Check): Check => (v, p) => (v === null ? null : c(v, p));
const optional = (c: Check): Check => (v, p) => (v === undefined ? null : c(v, p));
const oneOf = (...vs: string[]): Check => (v, p) => (vs.includes(v as string) ? null : `${p} is not one of ${vs.join(', ')}`);
const arrayOf = (c: Check): Check => (v, p) => {
  if (!Array.isArray(v)) return `${p} is not an array`;
  for (let i = 0; i < v.length; i++) {
    const bad = c(v[i], `${p}[${i}]`);
    if (bad) return bad;
  }
  return null;
};
const anyObject: Check = (v, p) => (isObj(v) ? null : `${p} is not an object`);
const object = (fields: Record<string, Check>): Check => (v, p) => {
  if (!isObj(v)) return `${p} is not an object`;
  for (const [k, c] of Object.entries(fields)) {
    const bad = c(v[k], `${p}.${k}`);
    if (bad) return bad;
  }
  return null;
};

const rule = object({ id: str, severity: str, why: str, source: str });
const phaseRef = object({ label: str });

/** Per message type, its fields besides `type` and `seq`; types watch only counts have none. */
const SHAPES: Readonly<Record<string, Record<string, Check>>> = {
  hello: {
    stream: object({
      id: str, kind: str, file: optional(str), header: optional(orNull(anyObject)),
      policy: optional(orNull(object({ sources: arrayOf(str), preserved: arrayOf(anyObject) }))),
    }),
    heartbeatMs: optional(num),
  },
  gap: { from: count, to: count, count: orNull(count), reason: str },
  access: { bdf: orNull(str), op: oneOf('r', 'w'), phase: phaseRef },
  finding: {
    verdict: str, rule, device: object({ bdf: str }), register: str, accessed: optional(orNull(str)), fields: optional(arrayOf(str)),
    old: orNull(num), new: orNull(num), width: count, oldStale: optional(bool), callSite: orNull(str), phase: str,
  },
  target: { verdict: str, rule, device: object({ bdf: str }), register: str, want: num, actual: orNull(num), at: str },
  unattributed: { fn: orNull(str), callSite: orNull(str), phase: str },
  phase: { phase: phaseRef },
  lost: { count, reason: str, phase: optional(phaseRef) },
  end: { counts: object({ accesses: count }), trailer: str },
  error: { code: str, message: str },
  device: { bdf: str, from: str, vendor: optional(num), device: optional(num), class: optional(num), driver: optional(str) },
  header: {}, skipped: {}, 'source-count': {}, totals: {}, subscribed: {}, 'caught-up': {}, heartbeat: {}, pong: {},
};

/** A frame's text checked: the message, or why it is not one (with the field's JSON path). */
export function checkServerMessage(text: string): Checked {
  let v: unknown;
  try { v = JSON.parse(text); } catch { return { problem: 'not JSON' }; }
  if (!isObj(v)) return { problem: 'not a JSON object' };
  if (typeof v['type'] !== 'string') return { problem: '$.type is not a string' };
  const shape = Object.hasOwn(SHAPES, v['type']) ? SHAPES[v['type']] : undefined;
  if (shape === undefined) return { problem: `unknown type ${JSON.stringify(v['type'].slice(0, 40))}` };
  const bad = count(v['seq'], '$.seq') ?? object(shape)(v, '$');
  return bad ? { problem: `${v['type']}: ${bad}` } : { message: v as unknown as ServerMessage };
}
