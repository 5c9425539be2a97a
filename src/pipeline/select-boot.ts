// `--boot`: keeps the events of the selected boot of a kexec capture. The selection is made after
// the pipeline's stages ran over the whole capture: kernel 2's old values are what kernel 1 and
// the handover left, so they must have been seen. An event's boot is its position: the latest
// phase event says which boot the stream is in; a finding carries its own. What belongs to the
// whole capture (header, devices, skipped input, source counts, the end) always passes; the
// check's totals count the selected boot's findings (`boot` says so; the write counts stay the
// capture's). A capture that never reaches the selected boot ends in BOOT_NOT_IN_CAPTURE.

import { Observable, type OperatorFunction } from 'rxjs';
import { noSuchBoot, selects, type BootSelector } from '../model/boot-selection.js';
import { KERNEL_1, sameBoot, type BootRef } from '../model/boots.js';
import type { PhaseRef } from '../model/events.js';

interface AnyEvent { kind: string }

const WHOLE_CAPTURE = new Set(['header', 'device', 'skipped', 'source-count', 'end']);

export interface BootTotals { violations: number; expected: number; unattributed: number }

export function selectBoot<E extends AnyEvent>(sel: BootSelector | undefined, file: string): OperatorFunction<E, E> {
  if (sel === undefined) return (s) => s;
  return (source) => new Observable<E>((subscriber) => {
    let current: BootRef = KERNEL_1;
    const seen: BootRef[] = [KERNEL_1];
    let found = selects(sel, KERNEL_1);
    const totals: BootTotals = { violations: 0, expected: 0, unattributed: 0 };
    return source.subscribe({
      next(e) {
        // The totals come just before the end: the capture has been read whole by then.
        if ((e.kind === 'end' || e.kind === 'check-totals') && !found) return subscriber.error(noSuchBoot(sel, file, seen));
        if (WHOLE_CAPTURE.has(e.kind)) return subscriber.next(e);
        if (e.kind === 'phase') {
          const b = (e as unknown as { phase: PhaseRef }).phase.boot ?? KERNEL_1;
          if (!sameBoot(b, current)) {
            current = b;
            if (!seen.some((x) => sameBoot(x, b))) seen.push(b);
            if (selects(sel, b)) found = true;
          }
        }
        if (e.kind === 'check-totals') {
          return subscriber.next({ ...e, ...totals, boot: sel } as E);
        }
        // A finding carries its boot, a phase's summary (made when the next phase starts) its phase.
        const ph = (e as { phase?: PhaseRef | string }).phase;
        const own = (e as { boot?: BootRef }).boot ?? (typeof ph === 'object' ? ph.boot ?? KERNEL_1 : current);
        if (!selects(sel, own)) return;
        if (e.kind === 'finding') {
          const v = (e as unknown as { verdict: string }).verdict;
          if (v === 'violation') totals.violations++; else totals.expected++;
        } else if (e.kind === 'unattributed') totals.unattributed++;
        else if (e.kind === 'target' && (e as unknown as { verdict: string }).verdict === 'violation') totals.violations++;
        subscriber.next(e);
      },
      error: (err: unknown) => subscriber.error(err),
      complete: () => subscriber.complete(),
    });
  });
}
