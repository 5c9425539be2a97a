// What the terminal view shows, built from events applied once each: counts per device (accesses,
// writes, violations), the violations in seq order, lost events, and where the stream is.

import type { FindingMessage, HelloMessage, ServerMessage, TargetMessage, UnattributedMessage } from './watch-messages.js';

export interface DeviceCounts { bdf: string; reads: number; writes: number; violations: number; expected: number }
export type ShownFinding = FindingMessage | TargetMessage | UnattributedMessage;

export class WatchState {
  hello: HelloMessage | null = null;
  connection = 'connecting';
  readonly devices = new Map<string, DeviceCounts>();
  readonly violations: ShownFinding[] = [];
  findings = 0;
  lost = 0;
  lostReports: string[] = [];
  gaps: string[] = [];
  phase = 'boot';
  lastSeq = 0;
  ended: string | null = null;

  device(bdf: string): DeviceCounts {
    let d = this.devices.get(bdf);
    if (!d) { d = { bdf, reads: 0, writes: 0, violations: 0, expected: 0 }; this.devices.set(bdf, d); }
    return d;
  }

  reset(): void {
    this.devices.clear();
    this.violations.length = 0;
    this.findings = 0;
    this.lost = 0;
    this.lostReports = [];
    this.ended = null;
  }

  apply(m: ServerMessage): void {
    this.lastSeq = Math.max(this.lastSeq, m.seq);
    switch (m.type) {
      case 'access': {
        const d = this.device(m.bdf ?? '(unknown device)');
        if (m.op === 'w') d.writes++; else d.reads++;
        this.phase = m.phase.label;
        return;
      }
      case 'finding': case 'target': {
        if (m.type === 'target' && m.verdict !== 'violation') return;
        this.findings++;
        const d = this.device(m.device.bdf);
        if (m.verdict === 'violation') { d.violations++; this.violations.push(m); } else d.expected++;
        return;
      }
      case 'unattributed': this.findings++; return;
      case 'phase': this.phase = m.phase.label; return;
      case 'lost':
        this.lost += m.count;
        this.lostReports.push(`${m.count} events lost (${m.reason})${m.phase ? ` in phase ${m.phase.label}` : ''}`);
        return;
      case 'end': this.ended = `end: ${m.counts.accesses} accesses, trailer ${m.trailer}`; return;
      case 'error': this.ended = `the stream failed: ${m.code}: ${m.message}`; return;
      default: return;
    }
  }
}
