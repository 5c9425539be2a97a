// The server messages the terminal client reads (docs/protocol.md), typed for the fields it uses.
// The server is an input like any other: watch-validate.ts checks every frame against these
// shapes before anything reads it, and a frame that does not match is skipped and counted.

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
export interface DeviceMessage { type: 'device'; seq: number; bdf: string; vendor?: number; device?: number; class?: number; driver?: string; from: string }
export interface OtherMessage { type: 'header' | 'skipped' | 'source-count' | 'totals' | 'subscribed' | 'caught-up' | 'heartbeat' | 'pong'; seq: number }

export type ServerMessage = HelloMessage | GapMessage | AccessMessage | FindingMessage | TargetMessage | UnattributedMessage
  | PhaseMessage | LostMessage | EndMessage | ErrorMessage | DeviceMessage | OtherMessage;

