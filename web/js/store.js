// What the page knows about the stream, built from event messages (docs/protocol.md) applied once
// each, in any order a resume or a gap re-request delivers them. Views read it; it never touches
// the DOM.

import { AccessHistogram } from './access-histogram.js';
import { BootLanes } from './boot-lanes.js';
import { FleetStore } from './fleet-store.js';

export const SEVERITIES = ['info', 'warning', 'error', 'critical'];
const NO_DEVICE = '(unknown device)';

export class LiveStore {
  constructor() {
    this.listeners = new Set();
    this.reset();
  }

  reset() {
    this.stream = null;
    this.header = null;
    /** bdf -> { bdf, vendor, device, role, reads, writes, violations, expected, byPhase: Map(phaseSeq -> {r, w, v}) } */
    this.devices = new Map();
    /** Phases by their seq (0: before the first marker). */
    this.phases = new Map([[0, { seq: 0, label: 'boot', ts: null }]]);
    this.phaseByLabel = new Map([['boot', 0]]);
    /** Findings shown in the table (violations, expected writes, unexplained writes, failed targets). */
    this.findings = [];
    /** Accesses over time (trace seconds, or index when the source has no time), bounded. */
    this.timeline = new AccessHistogram();
    /** The same accesses, one lane per boot on its own clock (./boot-lanes.js): what is drawn. */
    this.lanes = new BootLanes();
    this.lost = [];
    this.lostTotal = 0;
    this.skipped = 0;
    this.totals = null;
    this.end = null;
    this.error = null;
    /** The fleet view's rows and feed, when the server is a fleet server (./fleet-store.js). */
    this.fleet = new FleetStore();
    this.notify();
  }

  onChange(fn) { this.listeners.add(fn); return () => this.listeners.delete(fn); }
  notify() { for (const fn of this.listeners) fn(this); }

  device(bdf) {
    const key = bdf ?? NO_DEVICE;
    let d = this.devices.get(key);
    if (!d) {
      d = { bdf: key, vendor: null, device: null, role: null, reads: 0, writes: 0, violations: 0, expected: 0, byPhase: new Map() };
      this.devices.set(key, d);
    }
    return d;
  }

  phaseCounts(d, phaseSeq) {
    let c = d.byPhase.get(phaseSeq);
    if (!c) { c = { r: 0, w: 0, v: 0 }; d.byPhase.set(phaseSeq, c); }
    return c;
  }

  /** Applies one event message (already de-duplicated by seq). */
  apply(m) {
    switch (m.type) {
      case 'header': this.header = m; break;
      case 'device': {
        const d = this.device(m.bdf);
        d.vendor = m.vendor ?? d.vendor;
        d.device = m.device ?? d.device;
        d.class = m.class ?? d.class;
        break;
      }
      case 'phase':
        this.phases.set(m.phase.seq, m.phase);
        this.phaseByLabel.set(m.phase.label, m.phase.seq);
        break;
      case 'access': {
        const d = this.device(m.bdf);
        const c = this.phaseCounts(d, m.phase.seq);
        if (m.op === 'w') { d.writes++; c.w++; } else { d.reads++; c.r++; }
        if (!this.phases.has(m.phase.seq)) this.phases.set(m.phase.seq, m.phase);
        this.timeline.add(d.bdf, m.ts ?? m.index, m.op, m.phase.seq);
        this.lanes.add(m.phase.boot, d.bdf, m.ts, m.index, m.op, m.phase.seq, this.header?.clock === 'none');
        break;
      }
      case 'finding': case 'target': case 'unattributed': this.addFinding(m); break;
      case 'lost':
        this.lost.push(m);
        this.lostTotal += m.count;
        break;
      case 'skipped': this.skipped++; break;
      case 'totals': this.totals = m; break;
      case 'end': this.end = m; break;
      case 'error': this.error = m; break;
      case 'fleet-rows': case 'fleet-state': this.fleet.apply(m); break;
      default: break;
    }
  }

  addFinding(m) {
    if (m.type === 'target' && m.verdict !== 'violation') return;
    const row = findingRow(m);
    const d = this.device(row.bdf);
    const phaseSeq = this.phaseByLabel.get(row.phase) ?? 0;
    if (row.verdict === 'violation') {
      d.violations++;
      this.phaseCounts(d, phaseSeq).v++;
      // Keyed by the write, so several rules judging one write make one mark (a target has none).
      this.timeline.markViolation(m.index ?? `seq ${m.seq}`, d.bdf, m.ts ?? m.index ?? 0);
      this.lanes.markViolation(m.boot, m.index ?? `seq ${m.seq}`, d.bdf, m.ts ?? null, m.index ?? null);
    } else if (row.verdict === 'expected') d.expected++;
    if (m.device?.role) d.role = m.device.role;
    if (m.device?.vendor !== undefined && d.vendor === null) { d.vendor = m.device.vendor; d.device = m.device.device; }
    // Keep seq order even when a gap re-request delivers older findings late.
    let i = this.findings.length;
    while (i > 0 && this.findings[i - 1].seq > row.seq) i--;
    this.findings.splice(i, 0, row);
  }
}

/** One table row from a finding, a failed target or an unattributed write. */
export function findingRow(m) {
  const common = { seq: m.seq, phase: m.phase ?? m.at ?? '', ts: m.ts ?? null, index: m.index ?? null, callSite: m.callSite ?? null, stack: m.stack ?? null };
  if (m.type === 'unattributed') {
    return { ...common, kind: 'unattributed', verdict: 'unexplained', severity: null, bdf: null, register: null, fields: [], old: null, new: null, width: null,
      oldStale: false, rule: null, why: `the probe could not see which device ${m.fn ?? 'this write'} wrote to: it may have touched a protected device` };
  }
  if (m.type === 'target') {
    return { ...common, kind: 'target', verdict: m.verdict, severity: m.rule.severity, bdf: m.device.bdf, register: m.register, fields: [`at ${m.at}`],
      old: m.actual, new: m.want, width: null, oldStale: false, rule: m.rule, why: m.rule.why, phase: m.at };
  }
  return { ...common, kind: 'finding', verdict: m.verdict, severity: m.rule.severity, bdf: m.device.bdf, register: m.register,
    // A wider write can change the rule's register through a neighbour: name the written one too.
    fields: [...(m.accessed && m.accessed !== m.register ? [`written as ${m.accessed}`] : []), ...(m.fields ?? [])], old: m.old, new: m.new, width: m.width, oldStale: m.oldStale, rule: m.rule, why: m.rule.why };
}
