// Human output of `check`: findings grouped by device, then call site, then identical finding
// (same rule, register, fields and old -> new), with counts. Plain text that pastes into a
// mailing-list reply; the rule's `why` is quoted once per group.

import { stacklessSite } from '../pipeline/call-site.js';
import { hexValue } from '../model/hex.js';
import type { DeviceRecord } from '../model/records.js';
import type { CheckEvent, CheckTotals } from '../pipeline/check-policy.js';
import type { Finding, TargetFinding } from '../policy/findings.js';
import { printable } from '../model/escape-text.js';
import { sameBoot, untracedHandoverNote } from '../model/boots.js';
import { selectorName } from '../model/boot-selection.js';
import { describeDevice, type DeviceNamer } from './device-line.js';
import { oldFromText } from '../report/report-text.js';

interface Group { first: Finding; count: number; phases: Set<string> }

/**
 * Groups the text lists at most: a policy whose wildcard rules all match every write makes a
 * group per rule and write (6,400 rules on the bundled capture: 2.85 million groups, 2.77 GB
 * kept until the end). Past this, a finding that would open a new group is only counted; the text
 * says how many and that --json lists them all. Findings of groups already listed still count.
 */
export const MAX_TEXT_GROUPS = 10_000;

/**
 * The groups of one device's call site, in first-seen order. A group is found by the finding's
 * parts (rule, register, fields, old and new value, then verdict, change and staleness) through
 * maps keyed by strings the policy and the pipeline already hold and by the values themselves:
 * a key string built per finding had to be hashed afresh each time, and a large capture has tens
 * of thousands of findings.
 */
class SiteGroups {
  readonly list: Group[] = [];
  private readonly index = new Map<string, Map<string, Map<string, Map<number | null, Map<number | null, Group[]>>>>>();

  /** Adds `f` to its group; false when it would open a new one and `mayOpen` is false. */
  add(f: Finding, mayOpen: boolean): boolean {
    // Without room for a new group, only looked up: a finding that is not listed adds nothing.
    const get = mayOpen ? child : peek;
    const byRegister = get(this.index, f.rule.id);
    const byFields = byRegister && get(byRegister, f.register);
    const byOld = byFields && get(byFields, f.fields.length === 1 ? f.fields[0]! : f.fields.join(','));
    const byNew = byOld && get(byOld, f.old);
    let same = byNew?.get(f.new);
    if (!same) {
      if (!byNew || !mayOpen) return false;
      same = [];
      byNew.set(f.new, same);
    }
    for (const g of same) {
      const x = g.first;
      // boot: one kernel's writes never stand for another's (each cites its own line)
      if (x.verdict === f.verdict && x.change === f.change && x.oldStale === f.oldStale && (x.oldFrom === undefined) === (f.oldFrom === undefined) && sameBoot(x.boot, f.boot)) {
        g.count++;
        g.phases.add(f.phase);
        return true;
      }
    }
    if (!mayOpen) return false;
    const group = { first: f, count: 1, phases: new Set([f.phase]) };
    same.push(group);
    this.list.push(group);
    return true;
  }
}

function peek<K, V extends Map<unknown, unknown>>(m: Map<K, V>, k: K): V | undefined {
  return m.get(k);
}

function child<K, V extends Map<unknown, unknown>>(m: Map<K, V>, k: K): V {
  let c = m.get(k);
  if (!c) {
    c = new Map() as V;
    m.set(k, c);
  }
  return c;
}

const hex = (v: number | null, width = 1): string => hexValue(v, width);

export class CheckTextSink {
  private readonly devices = new Map<string, DeviceRecord>();
  /** bdf -> call site -> groups. Bounded by distinct findings, not by trace length. */
  private readonly groups = new Map<string, Map<string, SiteGroups>>();
  private readonly targets: TargetFinding[] = [];
  private readonly unattributed = new Map<string, number>();
  private groupCount = 0;
  /** Findings not listed: they would have opened a group after MAX_TEXT_GROUPS were listed. */
  private unlisted = 0;
  /** Rules cited, with their justification: printed once at the end, not on every line. */
  private readonly cited = new Map<string, Finding['rule']>();
  private source = '';

  constructor(private readonly out: (t: string) => void, private readonly names: DeviceNamer, private readonly showExpected: boolean) {}

  handle(e: CheckEvent): void {
    switch (e.kind) {
      case 'device': this.devices.set(e.device.bdf, e.device); return;
      case 'header': this.source = e.header.source.file?.split('/').pop() ?? ''; return;
      case 'finding': return this.add(e);
      case 'target': this.targets.push(e); return;
      case 'unattributed': {
        const k = `${e.fn ?? '?'}  ${e.callSite ?? '?'}`;
        this.unattributed.set(k, (this.unattributed.get(k) ?? 0) + 1);
        return;
      }
      case 'check-totals': return this.print(e);
      default: return;
    }
  }

  private add(f: Finding): void {
    if (f.verdict === 'expected' && !this.showExpected) return;
    this.cited.set(f.rule.id, f.rule);
    let byDev = this.groups.get(f.device.bdf);
    if (!byDev) {
      byDev = new Map<string, SiteGroups>();
      this.groups.set(f.device.bdf, byDev);
    }
    const site = f.callSite === null ? stacklessSite(f.deviceOnly ?? false) : f.source ? `${f.callSite} (${f.source})` : f.callSite;
    let bySite = byDev.get(site);
    if (!bySite) {
      if (this.groupCount >= MAX_TEXT_GROUPS) { this.unlisted++; return; }
      bySite = new SiteGroups();
      byDev.set(site, bySite);
    }
    const before = bySite.list.length;
    if (!bySite.add(f, this.groupCount < MAX_TEXT_GROUPS)) { this.unlisted++; return; }
    this.groupCount += bySite.list.length - before;
  }

  /** One output line. Call sites, phase labels, driver names, a policy's ids and `why` come
   *  from the input: printable() keeps their control characters (and newlines) from acting on the
   *  terminal or starting a line of their own. */
  private emit(line: string): void {
    this.out(`${printable(line)}\n`);
  }

  private print(t: CheckTotals): void {
    for (const [bdf, bySite] of [...this.groups].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      if (bySite.size === 0) continue;
      const first = [...bySite.values()][0]!.list[0]!.first;
      const dev = this.devices.get(bdf);
      this.out('\n');
      this.emit(`${dev ? describeDevice(dev, this.names) : bdf}  [${first.device.role}]`);
      for (const [site, groups] of bySite) {
        this.emit(`  at ${site}`);
        for (const g of groups.list) this.line(g);
      }
    }
    if (this.unlisted > 0) {
      this.out(`\n${this.unlisted} more finding(s) not listed: this text lists at most ${MAX_TEXT_GROUPS} groups of identical findings (--json lists every finding; the counts below include them all)\n`);
    }
    for (const tf of this.targets) {
      this.cited.set(tf.rule.id, tf.rule);
      const verdict = tf.verdict === 'met' ? 'met      ' : 'VIOLATION';
      this.out('\n');
      this.emit(`${tf.device.bdf}  target ${verdict} ${tf.rule.severity} ${tf.rule.id}: ${tf.register} & ${hex(tf.mask)} should be ${hex(tf.want)} at ${tf.at}, is ${tf.actual === null ? 'unknown' : hex(tf.actual & tf.mask)}`);
    }
    if (this.cited.size > 0) {
      this.out('\nRules cited:\n');
      for (const r of this.cited.values()) {
        this.emit(`  ${r.id} (${r.kind}, ${r.severity}, from ${r.source}):`);
        this.emit(`    ${r.why}`);
      }
    }
    if (this.unattributed.size > 0) {
      this.out(`\n${t.unattributed} writes with unknown target (early boot: the function tracer records no arguments);\nany of them may have touched a protected device. By accessor and call site:\n`);
      for (const [k, n] of [...this.unattributed].sort((a, b) => b[1] - a[1])) this.emit(`  ${String(n).padStart(5)}  ${k}`);
    }
    const scope = t.boot ? ` in ${selectorName(t.boot)}` : '';
    const whole = t.boot ? ' in the whole capture' : '';
    this.out(`\n${t.violations} violations, ${t.expected} expected writes${scope}; ${t.protectedWrites} of ${t.writes} known writes${whole} hit protected devices, ${t.sameValue} of them kept every protected bit.\n`);
  }

  private line(g: Group): void {
    const f = g.first;
    const verdict = f.verdict === 'violation' ? 'VIOLATION' : 'expected ';
    const change = f.change === 'unknown-old' ? `? -> ${hex(f.new, f.width)} (old value unknown: may have changed)`
      : `${hex(f.old, f.width)}${f.oldStale ? '?' : ''} -> ${hex(f.new, f.width)}${f.change === 'same' ? ' (same value)' : ''}`;
    const fields = f.fields.length > 0 ? ` ${f.fields.join(', ')}` : '';
    const count = g.count > 1 ? ` x${g.count}` : '';
    const first = f.line !== null ? `, ${this.source || 'input'}:${f.line}` : '';
    const over = f.overrides ? ` (explains ${f.overrides})` : '';
    this.emit(`    ${verdict} ${f.rule.severity.padEnd(8)} ${f.rule.id}${over}: ${f.register}${fields}  ${change}${count}`);
    this.emit(`      (${[...g.phases].join('; ')}${first})`);
    if (f.oldStale && f.change === 'changed' && f.boot.handoverUntraced) this.emit(`      (${untracedHandoverNote(f.boot)})`);
    if (f.oldFrom !== undefined) this.emit(`      (${oldFromText(f.oldFrom)})`);
  }
}
