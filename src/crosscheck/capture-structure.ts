// The structure of a capture: what must be the same when the lab makes the same run again. Devices,
// phases (in order) and how many writes each device got in each phase; not timestamps, CPUs, PIDs,
// read counts (polling loops vary) or stack addresses, which differ from run to run.

import { formatBdf } from '../model/bdf.js';
import type { CaptureRecord } from '../model/records.js';

export interface CaptureStructure {
  devices: string[];
  phases: string[];
  /** `phase label -> bdf -> writes`; writes before the first phase record count under `(start)`. */
  writes: Map<string, Map<string, number>>;
}

const START = '(start)';

export function captureStructure(records: Iterable<CaptureRecord>): CaptureStructure {
  const devices = new Set<string>();
  const phases: string[] = [];
  const writes = new Map<string, Map<string, number>>();
  let phase = START;
  for (const r of records) {
    if (r.t === 'device') devices.add(r.bdf);
    else if (r.t === 'phase') { phase = r.label; phases.push(r.label); }
    else if (r.t === 'access') {
      const bdf = r.bus === null || r.devfn === null ? '(unknown target)' : formatBdf(r.seg ?? 0, r.bus, r.devfn);
      if (r.bus !== null) devices.add(bdf);
      if (r.op !== 'w') continue;
      const m = writes.get(phase) ?? writes.set(phase, new Map()).get(phase)!;
      m.set(bdf, (m.get(bdf) ?? 0) + 1);
    }
  }
  return { devices: [...devices].sort(), phases, writes };
}

/** Readable differences, one a line (empty when the structures agree). */
export function compareStructure(committed: CaptureStructure, fresh: CaptureStructure): string[] {
  const out: string[] = [];
  const only = (a: string[], b: string[]) => a.filter((x) => !b.includes(x));
  const goneDevices = only(committed.devices, fresh.devices);
  const newDevices = only(fresh.devices, committed.devices);
  if (goneDevices.length) out.push(`devices only in the committed capture: ${goneDevices.join(', ')}`);
  if (newDevices.length) out.push(`devices only in the fresh capture: ${newDevices.join(', ')}`);
  if (committed.phases.join('\n') !== fresh.phases.join('\n')) {
    out.push('phases differ:');
    for (let i = 0; i < Math.max(committed.phases.length, fresh.phases.length); i++) {
      const c = committed.phases[i] ?? '(none)';
      const f = fresh.phases[i] ?? '(none)';
      out.push(`  ${c === f ? ' ' : '!'} #${i}: committed ${JSON.stringify(c)}${c === f ? '' : `, fresh ${JSON.stringify(f)}`}`);
    }
  }
  const phases = [...new Set([...committed.writes.keys(), ...fresh.writes.keys()])];
  for (const p of phases) {
    const c = committed.writes.get(p) ?? new Map<string, number>();
    const f = fresh.writes.get(p) ?? new Map<string, number>();
    for (const bdf of [...new Set([...c.keys(), ...f.keys()])].sort()) {
      const n = c.get(bdf) ?? 0;
      const m = f.get(bdf) ?? 0;
      if (n !== m) out.push(`writes in ${JSON.stringify(p)} to ${bdf}: committed ${n}, fresh ${m}`);
    }
  }
  return out;
}
