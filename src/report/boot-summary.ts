// The per-boot summary a kexec report opens with: for each boot of the capture (kernel 1, the
// handover, kernel 2...), per protected device, how many writes it made and how many of them
// were violations, expected and unexplained. A single-boot capture has no summary (the report's
// summary line says it all). Counted while the report's one pass runs: writes as the judge is
// handed them (report-events.ts onWrite), verdicts from the report's events; one counter set per
// (boot, device).

import { bootName, bootOrder, KERNEL_1, sameBoot, type BootRecord, type BootRef } from '../model/boots.js';
import type { AccessEvent } from '../model/events.js';
import type { ReportEvent } from './report-events.js';

export interface BootDeviceCounts {
  bdf: string;
  writes: number;
  violations: number;
  expected: number;
  unexplained: number;
}

export interface BootSummary {
  boot: BootRef;
  /** `kernel 2 (after kexec)`, `handover, device side only`. */
  name: string;
  /** What the capture says about that kernel (its console's `Linux version`, command line, clock). */
  release: string | null;
  clock: string | null;
  /** Protected devices only, by BDF. */
  devices: BootDeviceCounts[];
}

interface Tally { boot: BootRef; record: BootRecord | null; byDevice: Map<string, BootDeviceCounts> }

export class BootTally {
  private readonly boots: Tally[] = [{ boot: KERNEL_1, record: null, byDevice: new Map() }];
  private current = this.boots[0]!;
  private header: { release: string | null; clock: string | null } = { release: null, clock: null };

  /** A write, in stream order with the report's events. */
  onWrite(e: AccessEvent): void {
    if (e.bdf !== null) this.at(this.current, e.bdf).writes++;
  }

  /** The report's events: the boot boundaries, and each verdict counted for the boot the write
   *  was made in. */
  onReport(e: ReportEvent): void {
    if (e.kind === 'header') this.header = { release: e.header.kernel?.release ?? null, clock: e.header.clock };
    else if (e.kind === 'phase' && e.phase.boot && !sameBoot(e.phase.boot, this.current.boot)) {
      const boot = e.phase.boot;
      this.current = this.boots.find((t) => sameBoot(t.boot, boot)) ?? this.push(boot, e.record.t === 'boot' ? e.record : null);
    }
    if (e.kind !== 'finding' && e.kind !== 'unexplained') return;
    if (e.kind === 'unexplained' && e.change === 'same') return;
    const t = this.boots.find((x) => sameBoot(x.boot, e.boot)) ?? this.current;
    const c = this.at(t, e.device.bdf);
    if (e.kind === 'unexplained') c.unexplained++;
    else if (e.verdict === 'violation') c.violations++;
    else c.expected++;
  }

  /** One summary per boot, protected devices only; empty for a capture of one kernel. */
  summary(protectedBdfs: readonly string[]): BootSummary[] {
    if (this.boots.length < 2) return [];
    return [...this.boots].sort((a, b) => bootOrder(a.boot) - bootOrder(b.boot)).map((t) => ({
      boot: t.boot,
      name: bootName(t.boot),
      release: t.boot.handover ? null : t.record ? t.record.release ?? null : this.header.release,
      clock: t.boot.handover ? null : t.record ? t.record.clock ?? null : this.header.clock,
      devices: protectedBdfs.map((bdf) => t.byDevice.get(bdf) ?? { bdf, writes: 0, violations: 0, expected: 0, unexplained: 0 }),
    }));
  }

  private push(boot: BootRef, record: BootRecord | null): Tally {
    const t: Tally = { boot, record, byDevice: new Map() };
    this.boots.push(t);
    return t;
  }

  private at(t: Tally, bdf: string): BootDeviceCounts {
    let c = t.byDevice.get(bdf);
    if (!c) { c = { bdf, writes: 0, violations: 0, expected: 0, unexplained: 0 }; t.byDevice.set(bdf, c); }
    return c;
  }
}
