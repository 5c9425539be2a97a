// `replay --json`: the same summaries as the text output, one JSON object per line, for scripts
// and dashboards. Every object has a `type`; values are hex strings as a kernel developer reads them.

import type { SummaryEvent, WriteRow } from '../pipeline/summarize-phases.js';

export class ReplayNdjsonSink {
  constructor(private readonly out: (text: string) => void) {}

  handle(e: SummaryEvent): void {
    const obj = this.toJson(e);
    if (obj) this.out(`${JSON.stringify(obj)}\n`);
  }

  private toJson(e: SummaryEvent): Record<string, unknown> | null {
    switch (e.kind) {
      case 'header': return { type: 'header', ...e.header, t: undefined };
      case 'device': return { type: 'device', ...e.device, t: undefined };
      case 'phase-summary':
        return {
          type: 'phase', seq: e.phase.seq, label: e.phase.label, ts: e.phase.ts, accesses: e.accesses, reads: e.reads, writes: e.writes, lost: e.lost,
          deviceWrites: e.rows.map((r) => rowJson(r)),
          deviceReads: e.deviceReads.map((d) => ({ bdf: d.bdf, count: d.count, byRegister: Object.fromEntries(d.byRegister) })),
          unknownReads: e.unknownReads,
        };
      case 'lost': return { type: 'lost', count: e.record.count, reason: e.record.reason, line: e.record.line ?? null, phase: e.phase.label };
      case 'skipped': return { type: 'skipped', code: e.record.code, message: e.record.message, line: e.record.line, text: e.record.text };
      case 'end': return { type: 'end', counts: e.counts, trailer: e.trailer, byLayer: Object.fromEntries(e.byLayer) };
      case 'source-count': return { type: 'source-count', key: e.record.key, count: e.record.count };
      default: return null;
    }
  }
}

function rowJson(r: WriteRow): Record<string, unknown> {
  return {
    bdf: r.bdf, register: r.register, mnemonic: r.mnemonic, size: r.size, count: r.count, attributed: r.attributed, callSite: r.callSite, accessor: r.fn,
    transitions: [...r.transitions].map(([t, count]) => transitionJson(t, count)), otherTransitions: r.otherTransitions, firstIndex: r.firstIndex, stack: r.stack,
  };
}

/** `0xfe200000?->0xffffffff` -> `{ old: '0xfe200000', oldStale: true, new: '0xffffffff', count }`; `?` alone is unknown (null). */
function transitionJson(t: string, count: number): Record<string, unknown> {
  const [oldText, newText] = t.split('->') as [string, string];
  const stale = oldText.length > 1 && oldText.endsWith('?');
  const old = oldText === '?' ? null : stale ? oldText.slice(0, -1) : oldText;
  return { old, oldStale: stale, new: newText === '?' ? null : newText, count };
}
