// The phase a boot record starts: kernel N's part before its first marker (`boot`, as kernel 1's
// is called), or the handover into it. A marker's phase stays in the boot it is written in. Kept
// apart from the enricher so the phase rules of boots are one small function.

import { bootName, bootOfRecord, KERNEL_1, legacyBootOf, phaseName, type BootRecord, type BootRef } from '../model/boots.js';
import type { PhaseRecord } from '../model/records.js';
import type { PhaseRef } from '../model/events.js';

/** The first phase of a capture: kernel 1's `boot` (or the label a caller gives it). */
export const firstPhase = (label: string): PhaseRef => ({ seq: 0, label, ts: null, boot: KERNEL_1 });

/** A kernel that starts right after another kernel, no handover between them: its old values
 *  from before it are stale (the enricher moves its epoch on). */
export function entersUntraced(prev: PhaseRef, r: PhaseRecord | BootRecord): boolean {
  const kernel = r.t === 'boot' ? (r.segment === 'kernel' ? r.kernel : null) : legacyBootOf(r);
  return kernel !== null && prev.boot?.handover !== true;
}

export function phaseAfter(prev: PhaseRef, r: PhaseRecord | BootRecord): PhaseRef {
  const untraced = entersUntraced(prev, r);
  if (r.t === 'boot') return bootPhase(prev, { ...bootOfRecord(r), ...(untraced ? { handoverUntraced: true as const } : {}) });
  // A `trace #N` phase of a capture read by another path than the capture parsers (parsers/legacy-boots.ts).
  const legacy = legacyBootOf(r);
  if (legacy !== null) return bootPhase(prev, { kernel: legacy, ...(untraced ? { handoverUntraced: true as const } : {}) });
  const boot = prev.boot ?? KERNEL_1;
  return { seq: prev.seq + 1, label: phaseName(boot, r.label), ts: r.ts, boot };
}

function bootPhase(prev: PhaseRef, boot: BootRef): PhaseRef {
  return { seq: prev.seq + 1, label: boot.handover ? bootName(boot) : phaseName(boot, 'boot'), ts: null, boot };
}
