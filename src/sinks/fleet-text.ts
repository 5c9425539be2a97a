// `cfgscope fleet` as text (for a mailing-list reply: at most 72 columns but for long names) and
// as NDJSON (one row per kernel, device, register and call site, then totals).

import { rowJson, totalsJson, type FleetRow, type FleetTally } from '../fleet/fleet-tally.js';

const MAX_NAMES = 6;

const time = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');

function names(set: Set<string>): string {
  const all = [...set].sort();
  const shown = all.slice(0, MAX_NAMES).join(' ');
  return all.length > MAX_NAMES ? `${shown} +${all.length - MAX_NAMES} more` : shown;
}

const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 's'}`;

export function fleetText(server: string, t: FleetTally, rows: FleetRow[]): string {
  const lines: string[] = [];
  const machines = new Set<string>();
  const runs = new Set<string>();
  let violations = 0;
  for (const r of rows) {
    violations += r.violations;
    for (const m of r.machines) machines.add(m);
    for (const x of r.runs) runs.add(x);
  }
  lines.push(`cfgscope fleet ${server}`);
  lines.push(`${plural(violations, 'violation')} on ${plural(machines.size, 'machine')} in ${plural(runs.size, 'run')}`);
  lines.push(`(${plural(t.findings, 'finding')} read from ${plural(t.messages, 'message')}; ${t.notViolations} not violations, ${t.filtered} filtered out, ${t.unreadable} unreadable)`);
  let kernel: string | null = null;
  let identity: string | null = null;
  for (const r of rows) {
    if (r.kernel !== kernel) {
      kernel = r.kernel;
      identity = null;
      const ofKernel = rows.filter((x) => x.kernel === kernel);
      const km = new Set(ofKernel.flatMap((x) => [...x.machines]));
      lines.push('', `kernel ${kernel}: ${plural(ofKernel.reduce((n, x) => n + x.violations, 0), 'violation')}, ${plural(km.size, 'machine')}`);
    }
    if (r.identity !== identity) {
      identity = r.identity;
      lines.push(`  device ${identity}`);
    }
    lines.push(`    ${r.register} by ${r.callSite}`);
    lines.push(`      ${plural(r.violations, 'violation')} (${[...r.rules].sort().join(', ')})`);
    lines.push(`      ${plural(r.machines.size, 'machine')}: ${names(r.machines)}; ${plural(r.runs.size, 'run')}`);
    lines.push(`      first ${time(r.first)}, last ${time(r.last)}`);
  }
  if (rows.length === 0) lines.push('', 'no violations');
  return `${lines.join('\n')}\n`;
}

export function fleetNdjson(t: FleetTally, rows: readonly FleetRow[]): string {
  const out = rows.map((r) => JSON.stringify({ type: 'row', ...rowJson(r) }));
  out.push(JSON.stringify({ type: 'totals', ...totalsJson(t) }));
  return `${out.join('\n')}\n`;
}
