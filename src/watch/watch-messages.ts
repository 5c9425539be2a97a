// The server messages the terminal client reads (docs/protocol.md), typed for the fields it uses.
// Parsed from JSON, so each is checked only for `type` and `seq`; the rest is read defensively.

export interface RuleRef { id: string; severity: string; why: string; source: string }

export interface HelloMessage {
  type: 'hello'; seq: number;
  stream: { id: string; kind: string; file?: string; header?: { kernel?: { release?: string } } | null;
    policy?: { sources: string[]; preserved: Array<Record<string, unknown>> } | null };
  first: number; next: number; ended: boolean; heartbeatMs?: number;
}
export interface GapMessage { type: 'gap'; seq: number; from: number; to: number; count: number | null; reason: string }
export interface AccessMessage { type: 'access'; seq: number; bdf: string | null; op: 'r' | 'w'; phase: { seq: number; label: string } }
export interface FindingMessage {
  type: 'finding'; seq: number; verdict: string; rule: RuleRef; device: { bdf: string; role?: string };
  register: string; accessed: string | null; fields?: string[]; old: number | null; new: number | null; width: number;
  oldStale?: boolean; callSite: string | null; ts: number | null; phase: string; index: number;
}
export interface TargetMessage {
  type: 'target'; seq: number; verdict: string; rule: RuleRef; device: { bdf: string }; register: string;
  want: number; actual: number | null; at: string;
}
export interface UnattributedMessage { type: 'unattributed'; seq: number; fn: string | null; callSite: string | null; phase: string; ts: number | null }
export interface PhaseMessage { type: 'phase'; seq: number; phase: { seq: number; label: string; ts: number | null } }
export interface LostMessage { type: 'lost'; seq: number; count: number; reason: string; phase?: { label: string } }
export interface EndMessage { type: 'end'; seq: number; counts: { accesses: number }; trailer: string }
export interface ErrorMessage { type: 'error'; seq: number; code: string; message: string }
export interface OtherMessage { type: 'header' | 'device' | 'skipped' | 'source-count' | 'totals' | 'subscribed' | 'caught-up' | 'heartbeat' | 'pong'; seq: number }

export type ServerMessage = HelloMessage | GapMessage | AccessMessage | FindingMessage | TargetMessage | UnattributedMessage
  | PhaseMessage | LostMessage | EndMessage | ErrorMessage | OtherMessage;

/** A frame's JSON, or null when it is not an object with a string `type` and a numeric `seq`. */
export function parseServerMessage(text: string): ServerMessage | null {
  let v: unknown;
  try { v = JSON.parse(text); } catch { return null; }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as { type?: unknown; seq?: unknown };
  return typeof o.type === 'string' && typeof o.seq === 'number' ? (v as ServerMessage) : null;
}
