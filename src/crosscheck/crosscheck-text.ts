// What `cfgscope crosscheck` prints: per phase the writes and reads per device where the two sides
// differ, how many kernel-side read values agree with the device's, the one-sided accesses counted
// per reason (a few examples each), every unexplained one and every differing read value with its
// location, and a closing `explained N of M` line. --json: the same as NDJSON records.

import { formatBdf } from '../model/bdf.js';
import { printable } from '../model/escape-text.js';
import type { CrosscheckResult, Difference, OpResult, SegmentSummary, Side } from './crosscheck-accesses.js';
import { isExplained, REASON_TEXT, type DifferenceReason } from './difference-reasons.js';
import type { ReadValueCheck } from './read-values.js';

/** The raw file each side's `line` numbers refer to. */
export interface SideFiles { kernel: string; device: string }

const EXAMPLES = 3;
const OPS = [['write', 'writes'], ['read', 'reads']] as const;
type OpName = (typeof OPS)[number][0];

const hex = (v: number | null, size: number): string => (v === null ? '?' : `0x${v.toString(16).padStart(size * 2, '0')}`);
function what(d: Difference): string {
  const a = d.access.record;
  const off = a.off === null ? '?' : `0x${a.off.toString(16).padStart(2, '0')}`;
  return `${d.access.bdf ?? '(unknown target)'} @${off}${a.op === 'w' ? ` <- ${hex(a.val, a.size)}` : ''}${a.fn ? ` (${a.fn})` : ''}`;
}

export const locationOf = (d: Difference, files: SideFiles): string =>
  `${d.side === 'kernel' ? files.kernel : files.device}:${d.access.record.line ?? '?'}`;

const opOf = (r: CrosscheckResult, op: OpName): OpResult => (op === 'write' ? r.writes : r.reads);
const all = (r: CrosscheckResult): Difference[] => [...r.writes.differences, ...r.reads.differences];

export function reasonCounts(r: CrosscheckResult): { side: Side; op: OpName; reason: DifferenceReason; count: number }[] {
  const m = new Map<string, { side: Side; op: OpName; reason: DifferenceReason; count: number }>();
  for (const [op] of OPS) {
    for (const d of opOf(r, op).differences) {
      const k = `${d.side}|${op}|${d.reason}`;
      const e = m.get(k) ?? m.set(k, { side: d.side, op, reason: d.reason, count: 0 }).get(k)!;
      e.count++;
    }
  }
  return [...m.values()];
}

export const unexplained = (r: CrosscheckResult): Difference[] => all(r).filter((d) => !isExplained(d.reason));

function phaseLine(s: SegmentSummary): string {
  const diff = s.devices.filter((c) => c.kernel !== c.device || c.matched !== c.kernel);
  if (diff.length > 0) return diff.map((c) => `${c.bdf} ${c.kernel}/${c.device}`).join(', ');
  return `${s.devices.reduce((n, c) => n + c.kernel, 0)}, all matched`;
}

export function renderCrosscheckText(r: CrosscheckResult, files: SideFiles): string {
  const out: string[] = [
    `kernel side: ${files.kernel}`,
    `device side: ${files.device}`,
    `phase anchors: ${r.anchors.length} on the kernel side, ${r.anchorsOnDevice} found on the device side`,
    ...OPS.map(([op, ops]) => `${ops}: kernel ${opOf(r, op).kernel}, device ${opOf(r, op).device}, matched ${opOf(r, op).matched}`),
    readValuesLine(r.readValues),
    '',
    'per phase (kernel/device, for the devices where the two differ):',
  ];
  r.writes.segments.forEach((s, i) => {
    out.push(`  ${s.label}:`, `      writes: ${phaseLine(s)}`, `      reads:  ${phaseLine(r.reads.segments[i]!)}`);
  });
  out.push('', 'seen on one side only, by reason:');
  for (const c of reasonCounts(r)) {
    out.push(`  ${c.side.padEnd(6)} ${c.op.padEnd(5)} ${String(c.count).padStart(5)}  ${c.reason}: ${REASON_TEXT[c.reason]}`);
    if (!isExplained(c.reason)) continue;
    for (const d of opOf(r, c.op).differences.filter((x) => x.side === c.side && x.reason === c.reason).slice(0, EXAMPLES)) {
      out.push(`                       e.g. ${what(d)} at ${locationOf(d, files)}`);
    }
  }
  if (r.readValues.differ.length > 0) {
    out.push('', 'read values that differ (kernel side, device side):');
    for (const { kernel: k, device: d } of r.readValues.differ) {
      const at = (a: typeof k) => `${a.bus === null || a.devfn === null ? '?' : formatBdf(a.seg ?? 0, a.bus, a.devfn)} @0x${(a.off ?? 0).toString(16).padStart(2, '0')}`;
      out.push(`  ${at(k)} read ${hex(k.val, k.size)} (${k.fn ?? '?'}) at ${files.kernel}:${k.line ?? '?'}, device ${hex(d.val, d.size)} at ${files.device}:${d.line ?? '?'}`);
    }
  }
  const bad = unexplained(r);
  if (bad.length > 0) {
    out.push('', 'not explained:');
    for (const d of bad) {
      const op = d.access.record.op === 'w' ? 'write' : 'read';
      out.push(`  ${d.side}-only ${op} ${what(d)} in ${r.writes.segments[d.access.segment]?.label ?? '?'} at ${locationOf(d, files)} (${d.reason})`);
    }
  }
  const n = all(r).length;
  out.push('', `explained ${n - bad.length} of ${n} one-sided accesses (${r.writes.differences.length} writes, ${r.reads.differences.length} reads), ${bad.length} unexplained`);
  // Each entry is one line; file names, phase labels and function names in it come from the
  // input, so their control characters and newlines are escaped, never acted on.
  return `${out.map(printable).join('\n')}\n`;
}

function readValuesLine(v: ReadValueCheck): string {
  if (v.withValue === 0) return 'read values: none on the kernel side (entry probes: boot-args --read-values on 6.10+ records them)';
  return `read values: ${v.withValue} of ${v.kernelReads} kernel reads carry one; ${v.paired} pair with a device read: `
    + `${v.agree} agree, ${v.differ.length} differ${v.otherWidth ? `, ${v.otherWidth} of another width` : ''}`;
}

/** Exit 1 material besides unexplained accesses: a read whose two sides saw different values. */
export const readValuesDiffer = (r: CrosscheckResult): number => r.readValues.differ.length;

export function renderCrosscheckNdjson(r: CrosscheckResult, files: SideFiles): string {
  const lines: object[] = [];
  for (const [op] of OPS) {
    for (const s of opOf(r, op).segments) {
      for (const c of s.devices) lines.push({ t: 'phase-counts', op, phase: s.label, bdf: c.bdf, kernel: c.kernel, device: c.device, matched: c.matched });
    }
  }
  for (const [op] of OPS) {
    for (const d of opOf(r, op).differences) {
      const a = d.access.record;
      lines.push({
        t: 'one-sided', side: d.side, op, reason: d.reason, explained: isExplained(d.reason), phase: r.writes.segments[d.access.segment]?.label ?? null,
        bdf: d.access.bdf, off: a.off, size: a.size, val: a.val, fn: a.fn, location: locationOf(d, files),
      });
    }
  }
  for (const { kernel: k, device: d } of r.readValues.differ) {
    lines.push({
      t: 'read-value-differs', bdf: k.bus === null || k.devfn === null ? null : formatBdf(k.seg ?? 0, k.bus, k.devfn), off: k.off, size: k.size,
      kernel: k.val, device: d.val, fn: k.fn, location: `${files.kernel}:${k.line ?? '?'}`, deviceLocation: `${files.device}:${d.line ?? '?'}`,
    });
  }
  const bad = unexplained(r).length;
  const { differ, ...readValueCounts } = r.readValues;
  const totals = (o: OpResult) => ({ kernel: o.kernel, device: o.device, matched: o.matched, oneSided: o.differences.length });
  lines.push({
    t: 'crosscheck-totals', anchors: r.anchors.length, anchorsOnDevice: r.anchorsOnDevice, writes: totals(r.writes), reads: totals(r.reads),
    reasons: reasonCounts(r), explained: all(r).length - bad, unexplained: bad,
    readValues: { ...readValueCounts, differ: differ.length },
  });
  return lines.map((l) => `${JSON.stringify(l)}\n`).join('');
}
