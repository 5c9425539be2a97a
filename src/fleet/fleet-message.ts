// What travels on the stream. A message is an envelope around consecutive records of one kind
// (accesses go in batches: a boot makes hundreds of thousands, one message each would cost the
// server more in per-message overhead than in data), or one finding. Its id is
// `<machine>.<run>.<seq>`, seq being the index of its first record in the run, so the same
// message sent twice (a retry, a spool drained again after a crash) has the same id and
// JetStream's duplicate window keeps one.

import type { DeviceRecord } from '../model/records.js';
import type { Finding, TargetFinding, UnattributedWrite } from '../policy/findings.js';

export const MESSAGE_VERSION = 1;

export interface Envelope<T = unknown> {
  v: number;
  machine: string;
  run: string;
  /** Kernel release from the capture's header; null when the trace does not say. */
  kernel: string | null;
  kind: string;
  /** Index of the first record in the run; for a finding, its index among the run's findings. */
  seq: number;
  /** Wall-clock milliseconds when the publisher made the message (not when the server took it:
   *  a spooled message keeps the time it was seen). */
  at: number;
  r: T[];
}

/** A finding as the fleet needs it: the device by identity, not by BDF (the same device model sits
 *  at another address on the next machine), the register, the call site, the verdict. */
export interface FleetFinding {
  type: 'finding' | 'target' | 'unattributed';
  verdict: string | null;
  rule: string | null;
  severity: string | null;
  /** `8086:10d3` or `8086:10d3:8086:a01f` (vendor:device:subvendor:subdevice); `unknown` when the
   *  capture does not say which device it was. */
  identity: string;
  bdf: string | null;
  register: string | null;
  fields: string[];
  old: number | null;
  new: number | null;
  callSite: string | null;
  source: string | null;
  phase: string | null;
  line: number | null;
}

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

export function identityOf(vendor: number | null | undefined, device: number | null | undefined, rec: DeviceRecord | undefined): string {
  const v = vendor ?? rec?.vendor;
  const d = device ?? rec?.device;
  if (v === undefined || v === null || d === undefined || d === null) return 'unknown';
  const sub = rec && rec.subvendor !== undefined && rec.subdevice !== undefined ? `:${hex4(rec.subvendor)}:${hex4(rec.subdevice)}` : '';
  return `${hex4(v)}:${hex4(d)}${sub}`;
}

export function fleetFinding(e: Finding | TargetFinding | UnattributedWrite, devices: ReadonlyMap<string, DeviceRecord>): FleetFinding {
  if (e.kind === 'unattributed') {
    return { type: 'unattributed', verdict: null, rule: null, severity: null, identity: 'unknown', bdf: null, register: null, fields: [], old: null, new: null, callSite: e.callSite, source: e.source ?? null, phase: e.phase, line: e.line };
  }
  const rec = devices.get(e.device.bdf);
  const base = { verdict: e.verdict, rule: e.rule.id, severity: e.rule.severity, identity: identityOf(e.device.vendor, e.device.device, rec), bdf: e.device.bdf, register: e.register };
  if (e.kind === 'target') {
    return { type: 'target', ...base, fields: [], old: null, new: e.actual, callSite: null, source: null, phase: e.at, line: null };
  }
  return { type: 'finding', ...base, fields: e.fields, old: e.old, new: e.new, callSite: e.callSite, source: e.source ?? null, phase: e.phase, line: e.line };
}
