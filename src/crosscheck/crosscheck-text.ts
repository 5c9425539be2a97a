// What `cfgscope crosscheck` prints: per phase the writes per device where the two sides differ,
// the one-sided writes counted per reason (a few examples each), every unexplained one with its
// location, and a closing `explained N of M` line. --json: the same as NDJSON records.

import type { AccessRecord } from '../model/records.js';
import type { CrosscheckResult, Difference, Side } from './crosscheck-writes.js';
import { isExplained, REASON_TEXT, type DifferenceReason } from './difference-reasons.js';

/** The raw file each side's `line` numbers refer to. */
export interface SideFiles { kernel: string; device: string }

const EXAMPLES = 3;

const hex = (v: number | null, size: number): string => (v === null ? '?' : `0x${v.toString(16).padStart(size * 2, '0')}`);
const what = (a: AccessRecord, bdf: string | null): string =>
  `${bdf ?? '(unknown target)'} @${a.off === null ? '?' : `0x${a.off.toString(16).padStart(2, '0')}`} <- ${hex(a.val, a.size)}${a.fn ? ` (${a.fn})` : ''}`;

export const locationOf = (d: Difference, files: SideFiles): string =>
  `${d.side === 'kernel' ? files.kernel : files.device}:${d.write.access.line ?? '?'}`;

export function reasonCounts(r: CrosscheckResult): { side: Side; reason: DifferenceReason; count: number }[] {
  const m = new Map<string, { side: Side; reason: DifferenceReason; count: number }>();
  for (const d of r.differences) {
    const k = `${d.side}|${d.reason}`;
    const e = m.get(k) ?? m.set(k, { side: d.side, reason: d.reason, count: 0 }).get(k)!;
    e.count++;
  }
  return [...m.values()];
}

export const unexplained = (r: CrosscheckResult): Difference[] => r.differences.filter((d) => !isExplained(d.reason));

export function renderCrosscheckText(r: CrosscheckResult, files: SideFiles): string {
  const phaseLabel = (s: number): string => r.segments[s]?.label ?? `#${s}`;
  const out: string[] = [
    `kernel side: ${files.kernel}`,
    `device side: ${files.device}`,
    `phase anchors: ${r.anchors.length} on the kernel side, ${r.anchorsOnDevice} found on the device side`,
    `writes: kernel ${r.kernelWrites}, device ${r.deviceWrites}, matched ${r.matched}`,
    '',
    'writes per phase (kernel/device, devices where the two differ):',
  ];
  for (const s of r.segments) {
    const diff = s.devices.filter((c) => c.kernel !== c.device || c.matched !== c.kernel);
    const total = s.devices.reduce((n, c) => n + c.kernel, 0);
    out.push(`  ${s.label}: ${diff.length === 0 ? `${total} kernel writes, all matched` : diff.map((c) => `${c.bdf} ${c.kernel}/${c.device}`).join(', ')}`);
  }
  out.push('', 'seen on one side only, by reason:');
  for (const c of reasonCounts(r)) {
    out.push(`  ${c.side.padEnd(6)} ${String(c.count).padStart(5)}  ${c.reason}: ${REASON_TEXT[c.reason]}`);
    if (isExplained(c.reason)) {
      for (const d of r.differences.filter((x) => x.side === c.side && x.reason === c.reason).slice(0, EXAMPLES)) {
        out.push(`                 e.g. ${what(d.write.access, d.write.bdf)} at ${locationOf(d, files)}`);
      }
    }
  }
  const bad = unexplained(r);
  if (bad.length > 0) {
    out.push('', 'not explained:');
    for (const d of bad) {
      out.push(`  ${d.side}-only write ${what(d.write.access, d.write.bdf)} in ${phaseLabel(d.write.segment)} at ${locationOf(d, files)} (${d.reason})`);
    }
  }
  out.push('', `explained ${r.differences.length - bad.length} of ${r.differences.length} one-sided writes, ${bad.length} unexplained`);
  return `${out.join('\n')}\n`;
}

export function renderCrosscheckNdjson(r: CrosscheckResult, files: SideFiles): string {
  const lines: object[] = [];
  for (const s of r.segments) {
    for (const c of s.devices) lines.push({ t: 'phase-writes', phase: s.label, bdf: c.bdf, kernel: c.kernel, device: c.device, matched: c.matched });
  }
  for (const d of r.differences) {
    const a = d.write.access;
    lines.push({
      t: 'one-sided', side: d.side, reason: d.reason, explained: isExplained(d.reason), phase: r.segments[d.write.segment]?.label ?? null,
      bdf: d.write.bdf, off: a.off, size: a.size, val: a.val, fn: a.fn, location: locationOf(d, files),
    });
  }
  const bad = unexplained(r).length;
  lines.push({
    t: 'crosscheck-totals', kernelWrites: r.kernelWrites, deviceWrites: r.deviceWrites, matched: r.matched,
    anchors: r.anchors.length, anchorsOnDevice: r.anchorsOnDevice,
    reasons: reasonCounts(r), explained: r.differences.length - bad, unexplained: bad,
  });
  return lines.map((l) => `${JSON.stringify(l)}\n`).join('');
}
