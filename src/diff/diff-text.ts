// Output of `cfgscope diff`: text for people (by device, then phase), NDJSON for tools. A line
// starts with `-` for what vanished, `+` for what appeared, `~` for changed values, as diff(1)
// readers expect.

import { printable } from '../model/escape-text.js';
import { deviceLabel } from './access-summary.js';
import type { DiffResult, SiteDiff, ValueCounts, WriteDiff } from './diff-summaries.js';

const MARK = { vanished: '-', appeared: '+', changed: '~' } as const;

const values = (v: ValueCounts): string => (v.length === 0 ? 'none' : v.map(([val, n]) => (n === 1 ? val : `${val} x${n}`)).join(', '));

/**
 * ` at drivers/pci/pci.c:4397,4405`, with --vmlinux: the lines of the call site's function, per
 * file (the inlined functions they are in are in the --json output).
 */
function sourceSuffix(x: SiteDiff | WriteDiff): string {
  if (!x.source) return '';
  const byFile = new Map<string, string[]>();
  for (const full of x.source) {
    const at = full.split(', in inlined ')[0]!.replace(/ \(function start\)$/, '');
    const m = /^(.*):(\d+)$/.exec(at);
    const [file, line] = m ? [m[1]!, m[2]!] : [at, ''];
    const lines = byFile.get(file) ?? [];
    if (line && !lines.includes(line)) lines.push(line);
    byFile.set(file, lines);
  }
  return ` at ${[...byFile].map(([f, ls]) => (ls.length ? `${f}:${ls.join(',')}` : f)).join('; ')}`;
}

function siteLine(s: SiteDiff): string {
  const what = [s.writes > 0 ? `${s.writes} ${s.writes === 1 ? 'write' : 'writes'}` : '', s.reads > 0 ? `${s.reads} ${s.reads === 1 ? 'read' : 'reads'}` : ''].filter(Boolean).join(', ');
  return line(`    ${MARK[s.change]} call site ${s.callSite} (${what})${sourceSuffix(s)}`);
}

function writeLine(w: WriteDiff): string {
  if (w.change === 'changed') return line(`    ~ ${w.register} at ${w.callSite}: ${values(w.base)}`) + line(`      now: ${values(w.new)}`);
  return line(`    ${MARK[w.change]} ${w.register} at ${w.callSite}: ${values(w.change === 'vanished' ? w.base : w.new)}`);
}

/** One output line: file names, devices, phase labels and call sites come from the captures, so
 *  their control characters and newlines are escaped, never acted on or allowed to start a line. */
const line = (text: string): string => `${printable(text)}\n`;

export function renderDiffText(d: DiffResult): string {
  let out = `cfgscope diff\n${line(`  base: ${d.base}`)}${line(`  new:  ${d.new}`)}`;
  out += 'matched by device (BDF + vendor:device), phase, call site and register; order and time ignored\n';
  // Group by device, then phase, keeping the order diffSummaries chose.
  const groups = new Map<string, Map<string, (SiteDiff | WriteDiff)[]>>();
  for (const x of [...d.sites, ...d.writes]) {
    const dev = groups.get(deviceLabel(x.device)) ?? new Map<string, (SiteDiff | WriteDiff)[]>();
    groups.set(deviceLabel(x.device), dev);
    dev.set(x.phase, [...(dev.get(x.phase) ?? []), x]);
  }
  for (const [dev, phases] of [...groups].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    out += `\n${line(dev)}`;
    for (const [phase, xs] of phases) {
      out += line(`  ${phase}`);
      for (const x of xs) out += x.kind === 'call-site' ? siteLine(x) : writeLine(x);
    }
  }
  const t = d.totals;
  if (d.sites.length === 0 && d.writes.length === 0) out += '\nno differences\n';
  out += `\n${t.sitesVanished} call sites vanished, ${t.sitesAppeared} appeared; ${t.writesVanished} register writes vanished, `
    + `${t.writesAppeared} appeared, ${t.writesChanged} changed values (${t.baseAccesses} -> ${t.newAccesses} accesses)\n`;
  return out;
}

/** One JSON object per line: each difference, then `diff-totals`. */
export function renderDiffNdjson(d: DiffResult): string {
  const lines = [...d.sites, ...d.writes].map((x) => JSON.stringify(x));
  lines.push(JSON.stringify({ kind: 'diff-totals', base: d.base, new: d.new, ...d.totals }));
  return `${lines.join('\n')}\n`;
}
