// A client's `subscribe` message, validated, and the filter it sets (docs/protocol.md).
// Validation failures name the field, for the 4422 close reason.

import { formatBdf, parseBdf } from '../model/bdf.js';
import { SEVERITIES, type Severity } from '../policy/policy-types.js';
import { EVENT_TYPES, type EventType, type WireEvent } from './wire-message.js';

export interface Filter {
  kinds: EventType[] | null;
  bdf: string | null;
  minSeverity: Severity | null;
  violationsOnly: boolean;
}

export interface Subscribe {
  from: number | null;
  filter: Filter;
}

/** What `violationsOnly` keeps besides violations: the stream's context. */
const CONTEXT: ReadonlySet<EventType> = new Set(['header', 'phase', 'lost', 'totals', 'end', 'error', 'fleet-rows', 'fleet-state']);

export class BadField extends Error {}

export function parseSubscribe(m: Record<string, unknown>): Subscribe {
  const from = m['from'];
  if (from !== undefined && from !== null && !(Number.isSafeInteger(from) && (from as number) >= 1)) throw new BadField('from: an integer >= 1');
  const kinds = m['kinds'];
  if (kinds !== undefined && kinds !== null) {
    if (!Array.isArray(kinds)) throw new BadField('kinds: an array of event types');
    for (const k of kinds) if (!(EVENT_TYPES as readonly unknown[]).includes(k)) throw new BadField(`kinds: unknown event type ${JSON.stringify(k)}`);
  }
  let bdf: string | null = null;
  if (m['bdf'] !== undefined && m['bdf'] !== null) {
    const b = typeof m['bdf'] === 'string' ? parseBdf(m['bdf']) : null;
    if (!b) throw new BadField('bdf: a PCI address like 0000:3b:00.0');
    bdf = formatBdf(b.seg, b.bus, b.devfn);
  }
  const sev = m['minSeverity'];
  if (sev !== undefined && sev !== null && !(SEVERITIES as readonly unknown[]).includes(sev)) throw new BadField(`minSeverity: one of ${SEVERITIES.join(', ')}`);
  const vo = m['violationsOnly'];
  if (vo !== undefined && vo !== null && typeof vo !== 'boolean') throw new BadField('violationsOnly: a boolean');
  return {
    from: (from as number | undefined) ?? null,
    filter: {
      // Without repeats: the filter is echoed in `subscribed`, and should be no larger than the types there are.
      kinds: Array.isArray(kinds) ? [...new Set(kinds as EventType[])] : null,
      bdf,
      minSeverity: (sev as Severity | undefined) ?? null,
      violationsOnly: (vo as boolean | undefined) ?? false,
    },
  };
}

export const ALL: Filter = { kinds: null, bdf: null, minSeverity: null, violationsOnly: false };

export function matches(f: Filter, e: WireEvent): boolean {
  if (f.kinds !== null && !f.kinds.includes(e.type)) return false;
  if (f.bdf !== null && e.bdf !== null && e.bdf !== f.bdf) return false;
  if (f.minSeverity !== null && e.severity !== null && SEVERITIES.indexOf(e.severity) < SEVERITIES.indexOf(f.minSeverity)) return false;
  if (f.violationsOnly) {
    if (e.type === 'finding' || e.type === 'target') return e.verdict === 'violation';
    return CONTEXT.has(e.type);
  }
  return true;
}
