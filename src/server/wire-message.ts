// The websocket's event messages (docs/protocol.md): one JSON object per pipeline or check event,
// numbered by the server. Built once per event and sent as the same text to every client, so the
// filter keys (type, device, severity, verdict) are kept beside the text instead of re-parsed.

import type { AccessEvent } from '../pipeline/events.js';
import type { CheckEvent } from '../pipeline/check-policy.js';
import type { Severity } from '../policy/policy-types.js';

/** What a served stream carries: every pipeline event, accesses included, and what the policy said. */
export type ServedEvent = AccessEvent | CheckEvent | StreamFailure;

/** The source failed (bad input, a dying tracer): the last event of the stream. */
export interface StreamFailure {
  kind: 'error';
  code: string;
  message: string;
}

export const EVENT_TYPES = [
  'header', 'device', 'phase', 'access', 'finding', 'target', 'unattributed',
  'lost', 'skipped', 'source-count', 'totals', 'end', 'error',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** One numbered event, serialised, with what subscriptions filter on. */
export interface WireEvent {
  seq: number;
  type: EventType;
  /** The device the event is about, when it is about one. */
  bdf: string | null;
  severity: Severity | null;
  verdict: string | null;
  text: string;
}

type Body = Record<string, unknown>;

function body(e: ServedEvent): Body {
  switch (e.kind) {
    case 'access': {
      const a = e.access;
      return {
        index: e.index, ts: a.ts, phase: e.phase, bdf: e.bdf, op: a.op, off: a.off, size: a.size,
        register: e.register, mnemonic: e.mnemonic, old: e.old, new: a.val, oldStale: e.oldStale,
        callSite: e.callSite, stack: e.stack, fn: a.fn, layer: a.layer, known: a.known,
        cpu: a.cpu, pid: a.pid, comm: a.comm, line: a.line ?? null,
        ...(a.attributed ? { attributed: a.attributed } : {}),
      };
    }
    case 'finding': case 'target': {
      const { kind: _k, ...rest } = e;
      return { bdf: e.device.bdf, severity: e.rule.severity, ...rest };
    }
    case 'unattributed': {
      const { kind: _k, ...rest } = e;
      return { verdict: 'unexplained', ...rest };
    }
    case 'check-totals': {
      const { kind: _k, ...rest } = e;
      return rest;
    }
    case 'end': return { counts: e.counts, trailer: e.trailer, byLayer: Object.fromEntries(e.byLayer) };
    case 'phase': return { phase: e.phase, line: e.record.line ?? null };
    case 'lost': return { count: e.record.count, ts: e.record.ts, cpu: e.record.cpu, reason: e.record.reason, line: e.record.line ?? null, phase: e.phase };
    case 'device': { const { t: _t, ...rest } = e.device; return rest; }
    case 'header': { const { t: _t, ...rest } = e.header; return rest; }
    case 'skipped': { const { t: _t, ...rest } = e.record; return rest; }
    case 'source-count': { const { t: _t, ...rest } = e.record; return rest; }
    case 'error': return { code: e.code, message: e.message };
  }
}

function typeOf(e: ServedEvent): EventType {
  return e.kind === 'check-totals' ? 'totals' : e.kind;
}

function bdfOf(e: ServedEvent): string | null {
  switch (e.kind) {
    case 'access': return e.bdf;
    case 'finding': case 'target': return e.device.bdf;
    case 'device': return e.device.bdf;
    default: return null;
  }
}

export function wireEvent(seq: number, e: ServedEvent): WireEvent {
  const type = typeOf(e);
  const isJudged = e.kind === 'finding' || e.kind === 'target';
  return {
    seq, type, bdf: bdfOf(e),
    severity: isJudged ? e.rule.severity : null,
    verdict: isJudged ? e.verdict : e.kind === 'unattributed' ? 'unexplained' : null,
    text: JSON.stringify({ type, seq, ...body(e) }),
  };
}
