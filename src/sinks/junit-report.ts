// `cfgscope report --format junit`: the policy as CI test results. One <testsuite> per protected
// device, one <testcase> per rule that can judge that device (its kind is not `expect`, it applies
// to the device's role, and the device has the register), failed when the capture holds a
// violation of it; plus one "unexplained writes" case per device, failed when a write changed bits
// no rule covers. JUnit XML as Jenkins, GitLab and GitHub test reporters read it (the de-facto
// schema of Ant's JUnit task); no time or host attributes, so the output is a function of its input.

import type { ReportItem, ReportModel, ReportDevice } from '../report/report-model.js';
import { countText, hex, idsText, openQuestions, policyText, questionText, valuesText } from '../report/report-text.js';

/** Text and attribute escaping; control characters other than tab/newline are not allowed in XML 1.0. */
export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!)
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

const attr = (name: string, value: string | number): string => ` ${name}="${xmlEscape(String(value)).replace(/\n/g, '&#10;')}"`;

interface Case { name: string; failure: { type: string; message: string; body: string } | null }

function detail(m: ReportModel, site: string, i: ReportItem): string {
  const fields = i.fields.length > 0 ? ` (${i.fields.join(', ')})` : '';
  const at = i.line === null ? '' : `, first at ${m.input ?? 'input'}:${i.line}`;
  return `${i.register}: ${valuesText(i)}${fields}, ${countText(i.count)} in ${i.phases.join('; ')}, at ${site}${at}`;
}

function casesFor(m: ReportModel, d: ReportDevice, ruleIds: readonly string[]): Case[] {
  const out: Case[] = [];
  for (const id of ruleIds) {
    const rule = m.rules.find((r) => r.id === id)!;
    const found: string[] = [];
    let n = 0;
    for (const s of m.sites) {
      const site = [s.fn, ...s.callers].join(' <- ');
      for (const i of s.items) {
        if (i.verdict !== 'violation' || i.rule?.id !== id || i.device.bdf !== d.bdf) continue;
        n += i.count;
        found.push(detail(m, site, i));
      }
    }
    for (const t of m.targets) {
      if (t.rule.id !== id || t.device.bdf !== d.bdf || t.verdict !== 'violation') continue;
      n++;
      found.push(`${t.register} & ${hex(t.mask)} should be ${hex(t.want)} at ${t.at}, is ${t.actual === null ? 'unknown' : hex(t.actual & t.mask)}`);
    }
    const name = `${rule.id}: ${rule.register} (${rule.kind}, ${rule.severity})`;
    out.push({
      name,
      failure: n === 0 ? null : {
        type: rule.severity,
        message: `${n} ${n === 1 ? 'violation' : 'violations'} of ${rule.id} on ${d.bdf}: ${found[0]}`,
        body: `${found.join('\n')}\n\nWhy (${rule.id}, from ${rule.source}): ${rule.why}`,
      },
    });
  }
  const open = openQuestions(m).filter((q) => q.device.bdf === d.bdf);
  const writes = open.reduce((a, q) => a + q.items.reduce((b, i) => b + i.count, 0), 0);
  out.push({
    name: 'unexplained writes: no rule covers them',
    failure: open.length === 0 ? null : {
      type: 'unexplained',
      message: `${writes} ${writes === 1 ? 'write' : 'writes'} to ${d.bdf} that no rule covers: ${questionText(open[0]!, m.input)}`,
      body: `${open.map((q) => questionText(q, m.input)).join('\n')}\n\nEach must be justified (why is it safe across kexec?), skipped for this device, or covered by a rule.`,
    },
  });
  return out;
}

export function renderJunit(m: ReportModel): string {
  const suites = m.devices.map((d) => ({ d, cases: casesFor(m, d, m.checks.find((c) => c.bdf === d.bdf)?.rules ?? []) }));
  const count = (cs: readonly Case[]): [number, number] => [cs.length, cs.filter((c) => c.failure).length];
  const all = suites.flatMap((s) => s.cases);
  const [tests, failures] = count(all);
  let out = '<?xml version="1.0" encoding="UTF-8"?>\n';
  out += `<testsuites${attr('name', `cfgscope report ${m.capture}`)}${attr('tests', tests)}${attr('failures', failures)}${attr('errors', 0)}>\n`;
  for (const { d, cases } of suites) {
    const [t, f] = count(cases);
    out += `  <testsuite${attr('name', `${d.bdf} [${idsText(d)}] ${d.role}`)}${attr('tests', t)}${attr('failures', f)}${attr('errors', 0)}${attr('skipped', 0)}>\n`;
    out += '    <properties>\n';
    out += `      <property${attr('name', 'capture')}${attr('value', m.capture)}/>\n`;
    out += `      <property${attr('name', 'policy')}${attr('value', policyText(m))}/>\n`;
    out += `      <property${attr('name', 'role')}${attr('value', d.role)}/>\n`;
    out += '    </properties>\n';
    const classname = `cfgscope.${d.role}.${d.bdf}`;
    for (const c of cases) {
      out += `    <testcase${attr('classname', classname)}${attr('name', c.name)}`;
      if (!c.failure) { out += '/>\n'; continue; }
      out += `>\n      <failure${attr('type', c.failure.type)}${attr('message', c.failure.message)}>${xmlEscape(c.failure.body)}</failure>\n    </testcase>\n`;
    }
    out += '  </testsuite>\n';
  }
  return `${out}</testsuites>\n`;
}
