// The judge: what a compiled policy says about one access event, from the event alone. The
// enricher has put on it everything a verdict depends on (the device's identity and role before
// the access, the register's location, the old value, the call site); the compiled policy says
// which rules can touch that location and where they sit on such a device.

import type { AccessEvent } from '../model/events.js';
import type { CompiledPolicy } from './compiled-policy.js';
import { evaluatePlaced } from './evaluate-write.js';
import { writeContextOf, type Finding, type UnattributedWrite } from './findings.js';

export type Judgement = Finding | UnattributedWrite;

// Readonly by its type, not frozen: callers iterate every judged write's answer, and V8 does not
// lower for-of over a frozen array (a builtin call per iteration: 3.1M on the 10M packed check).
const NOTHING: readonly Judgement[] = [];

/** The policy's findings on one access: none for a read; for a write whose device the probe could
 *  not see, that write (it may have touched a protected device); else a finding per rule broken
 *  or expect rule matched. Frozen and shared when empty (most writes). */
export function judge(e: AccessEvent, p: CompiledPolicy): readonly Judgement[] {
  if (e.access.op !== 'w') return NOTHING;
  if (e.device === null || e.id === null || e.loc === null) return [{ kind: 'unattributed', fn: e.access.fn, ...writeContextOf(e) }];
  const rules = p.index.candidates(e.loc);
  if (rules.length === 0) return NOTHING;
  return evaluatePlaced(p.placed(rules, e.id, e.role), e.id, e.role, e, p.placement);
}

/** A known write to a protected device at a register some rule may cover: what the totals count
 *  as a protected write (and, without findings, as one that kept every protected bit). */
export const protectedWrite = (e: AccessEvent, p: CompiledPolicy): boolean =>
  e.access.op === 'w' && e.role !== 'other' && e.loc !== null && e.device !== null && p.index.candidates(e.loc).length > 0;
