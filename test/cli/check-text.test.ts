// `cfgscope check` text output against its own --json output on real captures: per device and
// call site, the text's groups (one line per identical finding, `xN` when repeated) must be the
// JSON findings grouped by rule, register, fields, old -> new, staleness, change, verdict and boot, in
// the order each group was first seen, with the same counts.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { hexValue } from '../../src/model/hex.js';
import { stacklessSite } from '../../src/pipeline/call-site.js';
import type { Finding } from '../../src/policy/findings.js';

const root = new URL('../../', import.meta.url).pathname;
const bin = `${root}bin/cfgscope.js`;
const PRESERVE = ['--expected', '--preserve', '0000:02:00.0', '--preserve', '0000:03:00.0'];

const run = (capture: string, policy: string, ...extra: string[]): string =>
  spawnSync(process.execPath, [bin, 'check', `${root}${capture}`, '--policy', policy, ...PRESERVE, ...extra], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout;

/** `device site rule old -> new xN` per group line, from the text. */
function textGroups(text: string): string[] {
  const out: string[] = [];
  let dev = '';
  let site = '';
  for (const line of text.split('\n')) {
    const d = /^(\S+:\S+\.\d)\s/.exec(line);
    if (d) dev = d[1]!;
    const s = /^ {2}at (.*)$/.exec(line);
    if (s) site = s[1]!;
    const g = /^ {4}(?:VIOLATION|expected ) \S+\s+(\S+?)(?: \(explains [^)]+\))?: .*? {2}(\?|0x[0-9a-f]+\??) -> (0x[0-9a-f]+).*?(?: x(\d+))?$/.exec(line);
    if (g) out.push(`${dev} ${site} ${g[1]} ${g[2]} -> ${g[3]} x${g[4] ?? 1}`);
  }
  return out;
}

/** The same from the JSON findings, grouped the way the text sink says it groups them. */
function jsonGroups(ndjson: string): string[] {
  const findings = ndjson.trim().split('\n').map((l) => JSON.parse(l) as { type: string } & Finding).filter((f) => f.type === 'finding');
  const groups = new Map<string, { site: string; text: string; count: number }>();
  const devices = [...new Set(findings.map((f) => f.device.bdf))].sort();
  for (const bdf of devices) {
    for (const f of findings.filter((x) => x.device.bdf === bdf)) {
      const site = f.callSite ?? stacklessSite(f.deviceOnly ?? false);
      // One kernel's writes never stand for another's: a group is per boot too.
      const key = JSON.stringify([bdf, site, f.verdict, f.rule.id, f.register, f.fields, f.old, f.oldStale, f.new, f.change, f.boot.kernel, f.boot.handover ?? false]);
      const g = groups.get(key);
      const values = `${hexValue(f.old, f.width)}${f.oldStale ? '?' : ''} -> ${hexValue(f.new, f.width)}`;
      if (g) g.count++; else groups.set(key, { site: `${bdf} ${site}`, text: `${bdf} ${site} ${f.rule.id} ${values}`, count: 1 });
    }
  }
  // Sites in first-seen order per device, groups in first-seen order per site.
  const bySite = new Map<string, string[]>();
  for (const g of groups.values()) {
    bySite.set(g.site, [...(bySite.get(g.site) ?? []), `${g.text} x${g.count}`]);
  }
  return [...bySite.values()].flat();
}

describe('check text groups identical findings', () => {
  // luo-default: fields name what changed; luo-strict's `*` rule has none, so its groups differ
  // by register and values alone.
  const runs = [
    ['replays/qemu-6.1-q35-basic/kernel.capture.ndjson', 'luo-default'],
    ['replays/lab-kexec/kernel.capture.ndjson', 'luo-default'],
    ['replays/lab-resets/kernel.capture.ndjson', 'luo-default'],
    ['replays/qemu-6.1-q35-basic/kernel.capture.ndjson', 'luo-strict'],
  ] as const;
  for (const [capture, policy] of runs) {
    it(`${capture}, ${policy}`, () => {
      const text = textGroups(run(capture, policy));
      const json = jsonGroups(run(capture, policy, '--json'));
      expect(text.length).toBeGreaterThan(5);
      expect(text.some((g) => !g.endsWith(' x1'))).toBe(true);
      expect(text).toEqual(json);
    });
  }
});
