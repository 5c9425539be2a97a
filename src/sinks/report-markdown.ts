// `cfgscope report --format markdown`: justification notes for patch review, grouped by call
// site. Meant to be pasted into a pull request, a review tool or a cover letter draft: every
// write to a protected device with its verdict and the rule's reason, and a checklist of the
// writes no rule explains. Deterministic: no time, no absolute path, no pci.ids names.
// Text from the capture or policy never changes the document's structure: code spans are fenced
// by markdownCode, prose and cells escaped by markdownText (src/model/escape-text.ts), and cells
// get their pipes escaped here.

import { markdownCode, markdownText as md } from '../model/escape-text.js';
import { printableModel } from '../report/printable-model.js';
import type { ReportItem, ReportModel } from '../report/report-model.js';
import {
  bootTitle, handoverHeading, handoverNote, changeNote, countText, hex, idsText, NO_SOURCE, OPEN_QUESTION_INTRO, sourceEntries, openQuestions, policyText, preservedText, questionText, reasonsOf, summaryText, unlistedText, valuesText, VERDICT_LABEL,
} from '../report/report-text.js';

/** A table cell: pipes would end the cell, newlines the row. */
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = markdownCode;
const row = (cells: string[]): string => `| ${cells.map(cell).join(' | ')} |\n`;

function itemRow(i: ReportItem): string {
  const verdict = i.verdict === 'expected' ? VERDICT_LABEL.expected : `**${VERDICT_LABEL[i.verdict]}**`;
  const note = changeNote(i);
  const rule = i.rule ? md(`${i.rule.id} (${i.rule.severity})${i.overrides ? `, explains ${i.overrides}` : ''}`) : 'none';
  return row([verdict, md(`${i.device.bdf} (${i.device.role})`), code(i.register), md(i.fields.join(', ')), `${valuesText(i)}${note ? ` (${note})` : ''}`, String(i.count), md(i.phases.join('; ')), rule]);
}

export function renderMarkdown(model: ReportModel): string {
  const m = printableModel(model);
  let out = '# Config-space writes to protected devices: justification notes\n\n';
  out += `- capture: ${code(m.capture)}\n- policy: ${md(policyText(m))}\n- preserved: ${md(preservedText(m))}\n- ${summaryText(m)}\n`;
  if (m.previous) for (const t of [m.previous.text, ...m.previous.notices]) out += `- ${md(t)}\n`;

  if (m.boots.length > 0) {
    // A kexec capture: what each boot did to each protected device, before the details.
    out += '\n## Boots\n\n';
    out += row(['boot', 'device', 'writes', 'violations', 'expected', 'unexplained']) + row(['---', '---', '---:', '---:', '---:', '---:']);
    for (const b of m.boots) {
      for (const c of b.devices) out += row([md(bootTitle(b)), md(c.bdf), String(c.writes), String(c.violations), String(c.expected), String(c.unexplained)]);
    }
  }

  out += '\n## Protected devices\n\n';
  out += row(['device', 'ids', 'role', 'driver', 'class']) + row(['---', '---', '---', '---', '---']);
  for (const d of m.devices) out += row([md(d.bdf), idsText(d), md(d.role), md(d.driver ?? ''), d.class === null ? '' : hex(d.class, 3)]);

  out += '\n## Writes by call site\n';
  if (m.sites.length === 0) out += '\nNo write reached a protected device.\n';
  for (const s of m.sites) {
    if (s.handover) out += `\n### ${md(handoverHeading(s.handover))}\n\n${md(handoverNote(s.handover))}\n\n`;
    else out += `\n### ${[s.fn, ...s.callers].map(code).join(' <- ')}\n\n`;
    const sources = sourceEntries(s);
    if (sources.length > 0) {
      out += 'Source:\n';
      for (const e of sources) out += `- ${e.role === 'call site' ? '' : 'called from '}${code(e.frame)}: ${e.where !== null ? md(e.where) : `(${NO_SOURCE})`}\n`;
      out += '\n';
    }
    out += row(['verdict', 'device', 'register', 'fields', 'old -> new', 'n', 'phase', 'rule']) + row(['---', '---', '---', '---', '---', '---:', '---', '---']);
    for (const i of s.items) out += itemRow(i);
    const reasons = reasonsOf(s.items);
    if (reasons.length > 0) {
      out += '\nWhy:\n';
      for (const r of reasons) out += `- ${r.ids.map(code).join(', ')}: ${md(r.why)}\n`;
    }
  }

  if (m.unlisted > 0) out += `\n${unlistedText(m.unlisted)}\n`;

  if (m.targets.length > 0) {
    out += '\n## Target states\n\n' + row(['verdict', 'device', 'rule', 'register', 'want', 'actual', 'at']) + row(['---', '---', '---', '---', '---', '---', '---']);
    for (const t of m.targets) {
      out += row([t.verdict === 'met' ? 'met' : '**VIOLATION**', md(t.device.bdf), md(t.rule.id), code(t.register), `${hex(t.want)} & ${hex(t.mask)}`, t.actual === null ? 'unknown' : hex(t.actual & t.mask), md(t.at)]);
    }
  }

  out += '\n## Still to justify\n\n';
  const open = openQuestions(m);
  if (open.length === 0 && m.unattributed.length === 0) out += 'Every write to a protected device is covered by a rule.\n';
  if (open.length > 0) {
    out += `${OPEN_QUESTION_INTRO}\n\n`;
    for (const q of open) out += `- [ ] ${md(questionText(q, m.input))}\n`;
  }
  if (m.unattributed.length > 0) {
    out += `\n${m.totals.unattributed} writes have no known target (early boot, no arguments); any of them may have touched a protected device:\n\n`;
    for (const u of m.unattributed) out += `- [ ] ${code(u.fn)}: ${countText(u.count)}\n`;
  }
  if (m.totals.unexplainedSame > 0) {
    out += `\n${m.totals.unexplainedSame} more writes touched bits no rule covers but wrote back the value they had.\n`;
  }
  return out;
}
