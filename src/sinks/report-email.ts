// `cfgscope report --format email`: the justification notes as plain text for a reply on a kernel
// mailing list. Every line is at most 72 columns (so `> ` quoting still fits), there is no
// Markdown, no line starts with `>` or `From ` (mail tools mangle those), BDFs are printed in
// full (0000:02:00.0) and functions as they appear in kernel stacks (pci_setup_device.cold).

import type { ReportItem, ReportModel } from '../report/report-model.js';
import {
  bootCountsText, bootTitle, handoverHeading, handoverNote, NO_SOURCE, sourceEntries, changeNote, countText, deviceText, hex, OPEN_QUESTION_INTRO, openQuestions, policyText, preservedText, questionText, reasonsOf, summaryText, unlistedText, valuesText,
  verdictText,
} from '../report/report-text.js';
import { printableModel } from '../report/printable-model.js';
import { EMAIL_WIDTH, GLUE, wrap } from '../report/wrap.js';

const W = EMAIL_WIDTH;

function itemLines(i: ReportItem): string[] {
  const fields = i.fields.length > 0 ? ` (${i.fields.join(', ')})` : '';
  const note = changeNote(i);
  const head = `${i.device.bdf} ${i.register}: ${valuesText(i, GLUE)}${fields}, ${countText(i.count)}, ${i.phases.join('; ')}${note ? `; ${note}` : ''}`;
  return [...wrap(head, W, '  ', '      '), ...wrap(verdictText(i), W, '    ', '      ')];
}

export function renderEmail(model: ReportModel): string {
  // Plain text: every string from the capture or policy is printable first (a control character
  // would act on the reader's terminal, GLUE in it would join words, a newline would break lines).
  const m = printableModel(model);
  const lines: string[] = [];
  const para = (text: string, first = '', rest = first): void => { lines.push(...wrap(text, W, first, rest)); };
  para('Config-space writes to protected devices: justification notes');
  para(`capture: ${m.capture}`, '', '  ');
  para(`policy: ${policyText(m)}`, '', '  ');
  para(`preserved: ${preservedText(m)}`, '', '  ');
  para(summaryText(m));
  if (m.previous) for (const t of [m.previous.text, ...m.previous.notices]) para(t, '', '  ');
  if (m.boots.length > 0) {
    // A kexec capture: what each boot did to each protected device, before the details.
    lines.push('', 'Boots:');
    for (const b of m.boots) {
      para(`${bootTitle(b)}:`, '  ', '    ');
      for (const c of b.devices) para(`${c.bdf}: ${bootCountsText(c)}`, '    ', '      ');
    }
  }
  lines.push('', 'Protected devices:');
  for (const d of m.devices) para(`${deviceText(d)}${d.class === null ? '' : `, class ${hex(d.class, 3)}`}`, '  ', '    ');

  m.sites.forEach((s, n) => {
    lines.push('', '');
    if (s.handover) {
      para(`Call site ${n + 1} of ${m.sites.length}: none. ${handoverHeading(s.handover)}`, '', '  ');
      lines.push('');
      para(handoverNote(s.handover), '  ', '  ');
    } else para(`Call site ${n + 1} of ${m.sites.length}: ${s.fn}`, '', '  ');
    if (s.callers.length > 0) para(`called from ${s.callers.join(' <- ')}`, '  ', '    ');
    const sources = sourceEntries(s);
    if (sources.length > 0) lines.push('', '  Source:');
    for (const e of sources) para(`${e.role === 'call site' ? '' : 'called from '}${e.frame} at ${e.where ?? `(${NO_SOURCE})`}`, '    ', '      ');
    lines.push('');
    for (const i of s.items) lines.push(...itemLines(i));
    const reasons = reasonsOf(s.items);
    if (reasons.length > 0) {
      lines.push('', '  Why:');
      for (const r of reasons) para(`${r.ids.join(', ')}: ${r.why}`, '    ', '      ');
    }
  });

  if (m.unlisted > 0) {
    lines.push('');
    para(unlistedText(m.unlisted), '  ');
  }

  if (m.targets.length > 0) {
    lines.push('', '', 'Target states:');
    for (const t of m.targets) {
      const actual = t.actual === null ? 'unknown' : hex(t.actual & t.mask);
      para(`${t.verdict === 'met' ? 'met' : 'VIOLATION'}: ${t.device.bdf} ${t.register} & ${hex(t.mask)} should be ${hex(t.want)} at ${t.at}, is ${actual} (${t.rule.id})`, '  ', '    ');
    }
  }

  lines.push('', '', 'Still to justify:', '');
  const open = openQuestions(m);
  if (open.length === 0 && m.unattributed.length === 0) para('Every write to a protected device is covered by a rule.', '  ');
  if (open.length > 0) {
    para(OPEN_QUESTION_INTRO, '  ');
    open.forEach((q, n) => { lines.push(''); const first = `  ${n + 1}) `;
      para(questionText(q, m.input, GLUE), first, ' '.repeat(first.length)); });
  }
  if (m.unattributed.length > 0) {
    lines.push('');
    para(`${m.totals.unattributed} writes have no known target (early boot, no arguments); any of them may have touched a protected device:`, '  ');
    for (const u of m.unattributed) para(`${u.fn}: ${countText(u.count)}`, '    ', '      ');
  }
  if (m.totals.unexplainedSame > 0) {
    lines.push('');
    para(`${m.totals.unexplainedSame} more writes touched bits no rule covers but wrote back the value they had.`, '  ');
  }
  return `${lines.map((l) => l.trimEnd()).join('\n')}\n`;
}
