// The websocket's event messages (docs/protocol.md): one JSON object per pipeline or check event,
// numbered by the server. Serialised once per published batch, as the UTF-8 bytes every client is
// sent (ws frames them per client, without copying them), so the filter keys (type, device,
// severity, verdict) are kept beside them instead of re-parsed.

import type { AccessEvent } from '../model/events.js';
import type { CheckEvent } from '../pipeline/check-policy.js';
import type { Severity } from '../policy/policy-types.js';
import type { AccessJson } from './access-json.js';
import { JsonBytes } from './json-bytes.js';

/** What a served stream carries: every pipeline event, accesses included, and what the policy
 *  said; or, for `serve --from nats://` (fleet-view.ts), the fleet's rows and its feed's state. */
export type ServedEvent = AccessEvent | CheckEvent | StreamFailure | FleetRowsEvent | FleetStateEvent;

/** Fleet rows that changed since the last batch, each whole (`fleet --json`'s row shape), and the
 *  tally's counts after them. */
export interface FleetRowsEvent {
  kind: 'fleet-rows';
  rows: Record<string, unknown>[];
  totals: Record<string, number>;
}

/** The fleet feed's state: `connecting`, `waiting-for-stream`, `live` or `stalled` (docs/protocol.md). */
export interface FleetStateEvent {
  kind: 'fleet-state';
  state: string;
  reason: string | null;
  /** Wall-clock milliseconds since when the feed is in this state. */
  since: number;
}

/** The source failed (bad input, a dying tracer): the last event of the stream. */
export interface StreamFailure {
  kind: 'error';
  code: string;
  message: string;
}

export const EVENT_TYPES = [
  'header', 'device', 'phase', 'access', 'finding', 'target', 'unattributed',
  'lost', 'skipped', 'source-count', 'totals', 'end', 'error', 'fleet-rows', 'fleet-state',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** One numbered event, serialised, with what subscriptions filter on. */
export interface WireEvent {
  readonly seq: number;
  readonly type: EventType;
  /** The device the event is about, when it is about one. */
  readonly bdf: string | null;
  readonly severity: Severity | null;
  readonly verdict: string | null;
  /** The JSON message as UTF-8, the same bytes for every client (a view of its batch's Buffer). */
  readonly data: Buffer;
  /** An access's recorded time (seconds; null when unknown), by which a replay releases it; null
   *  for other events (they go with the next access). */
  readonly ts: number | null;
  /** The JSON message (decoded from `data` when asked: only the bytes are kept). */
  readonly text: string;
}

class SerialisedEvent implements WireEvent {
  constructor(
    readonly seq: number, readonly type: EventType, readonly bdf: string | null,
    readonly severity: Severity | null, readonly verdict: string | null, readonly data: Buffer,
    readonly ts: number | null,
  ) {}

  get text(): string {
    return this.data.toString('utf8');
  }
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
    case 'fleet-rows': return { rows: e.rows, totals: e.totals };
    case 'fleet-state': return { state: e.state, reason: e.reason, since: new Date(e.since).toISOString() };
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

/** The message's JSON (AccessJson writes an access's bytes faster, the same text). */
export function messageText(seq: number, e: ServedEvent): string {
  return JSON.stringify({ type: typeOf(e), seq, ...body(e) });
}

/**
 * Events numbered from `firstSeq`, serialised together: one Buffer for the batch, each event's
 * bytes a view of it. `out` is the server's scratch buffer: emptied again before this returns or
 * throws (a batch that fails half-way leaves nothing in front of the next one).
 */
export function wireEvents(firstSeq: number, events: readonly ServedEvent[], accessJson?: AccessJson, out = new JsonBytes(1024)): WireEvent[] {
  const ends: number[] = [];
  try {
    events.forEach((e, i) => {
      if (accessJson && e.kind === 'access') accessJson.write(out, firstSeq + i, e);
      else out.utf8(messageText(firstSeq + i, e));
      ends.push(out.length);
    });
  } catch (e) {
    out.discard();
    throw e;
  }
  const batch = out.take();
  return events.map((e, i) => {
    const isJudged = e.kind === 'finding' || e.kind === 'target';
    return new SerialisedEvent(
      firstSeq + i, typeOf(e), bdfOf(e),
      isJudged ? e.rule.severity : null,
      isJudged ? e.verdict : e.kind === 'unattributed' ? 'unexplained' : null,
      batch.subarray(i === 0 ? 0 : ends[i - 1]!, ends[i]!),
      e.kind === 'access' ? e.access.ts : null,
    );
  });
}

export function wireEvent(seq: number, e: ServedEvent, accessJson?: AccessJson, out?: JsonBytes): WireEvent {
  return wireEvents(seq, [e], accessJson, out)[0]!;
}
