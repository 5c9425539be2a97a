// Wording shared by the report's formats (Markdown, e-mail, JUnit): one place decides how a value,
// a change, a device and a verdict read, so the formats never disagree on the facts.

import { untracedHandoverNote } from '../model/boots.js';
import type { OldOrigin } from '../model/events.js';
import type { BootDeviceCounts, BootSummary } from './boot-summary.js';
import { MAX_REPORT_ITEMS, type CallSiteGroup, type ReportDevice, type ReportItem, type ReportModel } from './report-model.js';

export const hex = (v: number | null, width = 1): string => (v === null ? '?' : `0x${v.toString(16).padStart(width * 2, '0')}`);

const h4 = (n: number | null): string => (n === null ? '????' : n.toString(16).padStart(4, '0'));

/** `1b36:0010` */
export const idsText = (d: { vendor: number | null; device: number | null }): string => `${h4(d.vendor)}:${h4(d.device)}`;

/** `0000:02:00.0 [1b36:0010] preserved` (with the driver when the capture names it). */
export const deviceText = (d: ReportDevice): string => `${d.bdf} [${idsText(d)}] ${d.role}${d.driver ? ` (${d.driver})` : ''}`;

/** `0x0103 -> 0x0100`, `? -> 0xffffffff`; a stale old value (an unattributed write came between) ends in `?`. */
export const valuesText = (i: Pick<ReportItem, 'old' | 'new' | 'oldStale' | 'width'>, space = ' '): string =>
  `${hex(i.old, i.width)}${i.oldStale ? '?' : ''}${space}->${space}${hex(i.new, i.width)}`;

/** `old value from the old kernel's capture k1.ndjson, serial.log:17871`: an old value this
 *  capture never saw, carried from the previous kernel's (`--previous-capture`). */
export function oldFromText(o: OldOrigin): string {
  const at = o.line === null ? 'its device snapshot' : `${o.source ?? 'input'}:${o.line}`;
  return `old value from the old kernel's capture ${o.capture.split('/').pop()}, ${at}`;
}

/** What the values mean, when it is not "the protected bits changed"; where the old value came
 *  from when the previous kernel's capture gave it. */
export function changeNote(i: ReportItem): string | null {
  const carried = i.oldFrom ? oldFromText(i.oldFrom) : null;
  const note = changeMeaning(i);
  return note && carried ? `${note}; ${carried}` : note ?? carried;
}

function changeMeaning(i: ReportItem): string | null {
  if (i.change === 'unknown-old') return 'old value unknown: may have changed';
  if (i.change === 'changed' && i.oldStale && i.boot.handoverUntraced) return untracedHandoverNote(i.boot);
  if (i.change === 'same') return 'protected bits kept';
  return null;
}

export const countText = (n: number): string => (n === 1 ? 'once' : `${n} times`);

export const VERDICT_LABEL: Record<ReportItem['verdict'], string> = { violation: 'VIOLATION', expected: 'expected', unexplained: 'UNEXPLAINED' };

/** `VIOLATION of bar-0 (preserve, error)`, `expected by msix-driver-setup (expect, info)`, `UNEXPLAINED: no rule covers it`. */
export function verdictText(i: ReportItem): string {
  if (!i.rule) return `${VERDICT_LABEL.unexplained}: no rule covers it`;
  const r = `${i.rule.id} (${i.rule.kind}, ${i.rule.severity})`;
  if (i.verdict === 'violation') return `${VERDICT_LABEL.violation} of ${r}`;
  return `expected by ${r}${i.overrides ? `, explains ${i.overrides}` : ''}`;
}

/** The rules one call site's writes cite, rules with the same reason merged (bar-0 ... bar-5). */
export function reasonsOf(items: readonly ReportItem[]): { ids: string[]; why: string }[] {
  const out: { ids: string[]; why: string }[] = [];
  for (const i of items) {
    if (!i.rule) continue;
    const same = out.find((r) => r.why === i.rule!.why);
    if (!same) out.push({ ids: [i.rule.id], why: i.rule.why });
    else if (!same.ids.includes(i.rule.id)) same.ids.push(i.rule.id);
  }
  return out;
}

export function summaryText(m: ReportModel): string {
  const t = m.totals;
  return `${t.violations} violations, ${t.expected} expected writes, ${t.unexplained} unexplained writes; `
    + `${t.protectedWrites} of ${t.writes} known writes${t.boot ? ' in the whole capture' : ''} hit protected devices; `
    + `old value unknown for ${t.oldUnknown} of ${t.protectedWrites}${t.oldCarried > 0 ? `, from the old kernel's capture for ${t.oldCarried}` : ''}.`;
}

export const policyText = (m: ReportModel): string => `${m.policy.sources.join(' + ')} (${m.policy.rules} rules)`;

export const preservedText = (m: ReportModel): string => m.policy.preserved.join('; ') || 'none';

/** Unexplained writes of one call site to one register of one device: one question to answer. */
export interface OpenQuestion { fn: string; device: ReportItem['device']; register: string; items: ReportItem[] }

/** Every unexplained write, grouped per (call site, device, register), in trace order. */
export function openQuestions(m: ReportModel): OpenQuestion[] {
  const out = new Map<string, OpenQuestion>();
  for (const site of m.sites) {
    for (const item of site.items) {
      if (item.verdict !== 'unexplained') continue;
      const key = `${site.fn}|${item.device.bdf}|${item.register}`;
      const q = out.get(key) ?? { fn: site.fn, device: item.device, register: item.register, items: [] };
      q.items.push(item);
      out.set(key, q);
    }
  }
  return [...out.values()];
}

export const OPEN_QUESTION_INTRO = 'No rule of the policy covers these writes to protected devices. For each, the patch '
  + 'author must still say why it is safe for a device kept alive across kexec, or skip the write for that device, '
  + 'or add a rule that says why.';

/** `pci_intx writes COMMAND of 0000:02:00.0 (preserved): 0x0107 -> 0x0507 (INTX_DISABLE 0->1) 2 times in PHASE[2] insmod nvme` */
export function questionText(q: OpenQuestion, input: string | null, space = ' '): string {
  const writes = q.items.map((i) => {
    const fields = i.fields.length > 0 ? ` (${i.fields.join(', ')})` : '';
    const at = i.line === null ? '' : `, ${input ?? 'input'}:${i.line}`;
    return `${valuesText(i, space)}${fields} ${countText(i.count)} in ${i.phases.join(', ')}${at}`;
  });
  return `${q.fn} writes ${q.register} of ${q.device.bdf} (${q.device.role}): ${writes.join('; ')}`;
}

/**
 * The source lines of a call site and its callers (with --vmlinux): one entry per distinct frame,
 * `where` null when the frame stays function+offset (no symbol, no debug info).
 */
export function sourceEntries(g: CallSiteGroup): { role: 'call site' | 'called from'; frame: string; where: string | null }[] {
  if (!g.sources) return [];
  return g.sources.flatMap((level, i) => level.map((l) => ({ role: i === 0 ? 'call site' as const : 'called from' as const, frame: l.frame, where: l.at })));
}

export const NO_SOURCE = 'no source line';

/** The heading of the handover's writes: no kernel call site made them as far as a trace shows. */
export const handoverHeading = (h: { name: string; kernel: number }): string =>
  `${h.name.charAt(0).toUpperCase()}${h.name.slice(1)}: before kernel ${h.kernel} (after kexec)`;

export const handoverNote = (h: { kernel: number }): string =>
  `No kernel trace holds these writes: the device saw them after kernel ${h.kernel - 1}'s trace ended `
  + `(its shutdown, once userspace was gone) and before kernel ${h.kernel}'s first traced access. `
  + `They are blamed on no kernel call site; a later kernel's write that finds their result is judged against it.`;

/** `kernel 1, 6.1.0-56-amd64, clock global`, `handover, device side only`. */
export function bootTitle(b: BootSummary): string {
  const about = [b.release, b.clock ? `clock ${b.clock}` : null].filter((x) => x !== null);
  return [b.name, ...about].join(', ');
}

/** `12 writes, 3 violations, 2 expected, 1 unexplained`. */
export const bootCountsText = (c: BootDeviceCounts): string =>
  `${c.writes} ${c.writes === 1 ? 'write' : 'writes'}, ${c.violations} ${c.violations === 1 ? 'violation' : 'violations'}, ${c.expected} expected, ${c.unexplained} unexplained`;

/** The report lists at most MAX_REPORT_ITEMS distinct writes; what was left out is counted. */
export const unlistedText = (n: number): string =>
  `${n} more ${n === 1 ? 'finding' : 'findings'} not listed: this report lists at most ${MAX_REPORT_ITEMS} distinct writes (check --json lists every finding; the counts include them all).`;
