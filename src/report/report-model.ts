// What a justification report says, independent of how it is printed: the writes to protected
// devices grouped by call site (the function and its next callers), each group of identical
// writes with its verdict, rule and reason, count and phases; plus what the policy left open.
// Built from the report's events by ReportBuilder; rendered by src/sinks/report-*.ts.

import { frameFunction } from '../parsers/accessors.js';
import { callSiteIndex, stacklessSite } from '../pipeline/call-site.js';
import type { CheckTotals } from '../pipeline/check-policy.js';
import type { Change, DeviceRef, Finding, TargetFinding } from '../policy/findings.js';
import type { ReportEvent } from './report-events.js';
import type { FrameLine } from '../symbols/source-text.js';
import type { UnexplainedWrite } from './unexplained-writes.js';
import { bootName, type BootRef } from '../model/boots.js';
import type { BootSummary } from './boot-summary.js';
import type { OldOrigin } from '../model/events.js';

export type ReportVerdict = 'violation' | 'expected' | 'unexplained';

/** How many caller frames name a call site: enough to tell BAR sizing at boot from a rescan's. */
export const CALLER_FRAMES = 3;

export interface ReportDevice extends DeviceRef {
  driver: string | null;
  class: number | null;
}

export type RuleRef = Finding['rule'] & { register: string };

/** Identical writes (same device, register, fields, old -> new, verdict and rule) at one call site. */
export interface ReportItem {
  verdict: ReportVerdict;
  device: ReportDevice;
  register: string;
  /** Fields the write changed (or may have changed), e.g. `MASTER 1->0`. */
  fields: string[];
  old: number | null;
  new: number | null;
  oldStale: boolean;
  change: Change;
  width: number;
  count: number;
  phases: string[];
  /** The rule that judged it; null for an unexplained write. */
  rule: Finding['rule'] | null;
  /** When an expect rule explained a would-be violation: the rule it overrode. */
  overrides: string | null;
  /** Input line of the first such write. */
  line: number | null;
  /** The boot the writes were made in: one kernel's writes never stand for another's. */
  boot: BootRef;
  /** The old value came from the previous kernel's capture (`--previous-capture`): where. */
  oldFrom: OldOrigin | null;
}

export interface CallSiteGroup {
  /** The call site as it appears in stacks (offset dropped): `pci_setup_device.cold`. */
  fn: string;
  /** The next frames up the stack, innermost first. */
  callers: string[];
  items: ReportItem[];
  /** The frames as the trace printed them (offsets kept), each distinct variant once, and the stack index of the first. */
  raw: { frames: string[]; first: number }[];
  /** With --vmlinux: per level (0 the call site, then each caller) the distinct frames and their source lines. */
  sources: FrameLine[][] | null;
  /** Set for the handover's writes, which no kernel made: their own heading instead of a call site. */
  handover?: { name: string; kernel: number };
}

export interface ReportModel {
  capture: string;
  /** File name of the raw input the capture's line numbers refer to (`serial.log`), when known. */
  input: string | null;
  policy: { sources: string[]; rules: number; preserved: string[] };
  /** Every device the policy protects at the end of the trace, and any judged before that. */
  devices: ReportDevice[];
  sites: CallSiteGroup[];
  targets: TargetFinding[];
  /** Writes whose target the probe could not see, by call site, with counts. */
  unattributed: { fn: string; count: number }[];
  /** Every rule of the policy, in policy order; `cited` are the ids some finding or target used. */
  rules: RuleRef[];
  cited: string[];
  /** Per protected device, the rules that can judge it (not `expect`): the JUnit test cases. */
  checks: { bdf: string; rules: string[] }[];
  totals: CheckTotals & { unexplained: number; unexplainedSame: number };
  /** Per boot of a kexec capture, what each protected device saw (empty for one kernel). */
  boots: BootSummary[];
  /** `--previous-capture`: what the old kernel's capture gave (one line) and what it could not. */
  previous?: { text: string; notices: string[] };
  /** Findings (and unexplained writes) not listed because MAX_REPORT_ITEMS distinct ones were. */
  unlisted: number;
}

/**
 * Distinct writes (items) a report lists at most. A policy whose wildcard rules all match every
 * write makes an item per rule and write: 6,400 such rules on the bundled capture made a 263 MB
 * report in 63 s and 2.9 GB. Past this, a finding that would make a new item is only counted.
 */
export const MAX_REPORT_ITEMS = 10_000;

const hexv = (v: number | null): string => (v === null ? '?' : v.toString(16));

export interface Site { fn: string; callers: string[]; raw: { frames: string[]; first: number } | null }

/** Call site function and its callers from a stack; a label saying why when there is no stack. */
export function siteOf(callSite: string | null, stack: readonly string[] | null, deviceOnly = false): Site {
  if (!stack || callSite === null) return { fn: callSite === null ? stacklessSite(deviceOnly) : frameFunction(callSite), callers: [], raw: null };
  const i = Math.max(0, callSiteIndex(stack));
  const frames = stack.slice(i, i + 1 + CALLER_FRAMES);
  return { fn: frameFunction(callSite), callers: frames.slice(1).map(frameFunction), raw: { frames, first: i } };
}

export class ReportBuilder {
  private readonly devices = new Map<string, ReportDevice>();
  private readonly identity = new Map<string, { driver: string | null; class: number | null }>();
  /** site key -> group; item key -> item. Bounded by distinct writes, not by trace length. */
  private readonly sites = new Map<string, CallSiteGroup>();
  private readonly items = new Map<string, ReportItem>();
  private readonly targets: TargetFinding[] = [];
  private readonly unattributed = new Map<string, number>();
  private readonly cited = new Set<string>();
  private readonly checks = new Map<string, string[]>();
  private totals: CheckTotals | null = null;
  private unexplained = 0;
  private unexplainedSame = 0;
  private unlisted = 0;
  private input: string | null = null;

  constructor(private readonly capture: string, private readonly policy: ReportModel['policy'], private readonly rules: RuleRef[]) {}

  handle(e: ReportEvent): void {
    switch (e.kind) {
      case 'header': this.input = e.header.source.file?.split('/').pop() ?? null; return;
      case 'device': this.identity.set(e.device.bdf, { driver: e.device.driver ?? null, class: e.device.class ?? null }); return;
      case 'finding': return this.add(e, e.verdict, e.rule, e.overrides ?? null);
      case 'unexplained':
        if (e.change === 'same') { this.unexplainedSame++; return; }
        this.unexplained++;
        return this.add(e, 'unexplained', null, null);
      case 'target': this.targets.push(e); this.cited.add(e.rule.id); return;
      case 'unattributed': {
        const fn = siteOf(e.callSite, e.stack, e.deviceOnly ?? false).fn;
        this.unattributed.set(fn, (this.unattributed.get(fn) ?? 0) + 1);
        return;
      }
      case 'check-totals': this.totals = e; return;
      default: return;
    }
  }

  /** Devices the policy protects at the end (roles may have moved during the trace). */
  protect(ref: DeviceRef, rules?: string[]): void {
    if (!this.devices.has(ref.bdf)) this.devices.set(ref.bdf, this.device(ref));
    if (rules) this.checks.set(ref.bdf, rules);
  }

  build(): ReportModel {
    const totals = this.totals ?? { kind: 'check-totals', writes: 0, protectedWrites: 0, sameValue: 0, oldUnknown: 0, oldCarried: 0, violations: 0, expected: 0, unattributed: 0 };
    return {
      capture: this.capture, input: this.input, policy: this.policy,
      devices: [...this.devices.values()].sort((a, b) => (a.bdf < b.bdf ? -1 : a.bdf > b.bdf ? 1 : 0)),
      sites: [...this.sites.values()], targets: this.targets,
      unattributed: [...this.unattributed].map(([fn, count]) => ({ fn, count })).sort((a, b) => b.count - a.count || (a.fn < b.fn ? -1 : 1)),
      rules: this.rules, cited: this.rules.filter((r) => this.cited.has(r.id)).map((r) => r.id),
      checks: [...this.checks].map(([bdf, rules]) => ({ bdf, rules })).sort((a, b) => (a.bdf < b.bdf ? -1 : 1)),
      totals: { ...totals, unexplained: this.unexplained, unexplainedSame: this.unexplainedSame },
      boots: [],
      unlisted: this.unlisted,
    };
  }

  private device(ref: DeviceRef): ReportDevice {
    const id = this.identity.get(ref.bdf);
    return { ...ref, driver: id?.driver ?? null, class: id?.class ?? null };
  }

  private add(e: Finding | UnexplainedWrite, verdict: ReportVerdict, rule: Finding['rule'] | null, overrides: string | null): void {
    this.protect(e.device);
    if (rule) this.cited.add(rule.id);
    const site = siteOf(e.callSite, e.stack, e.deviceOnly ?? false);
    // The handover's writes (the old kernel's shutdown, device side only) stand apart: no kernel
    // call site made them as far as any trace shows. A kernel-side handover (the old kernel's
    // persistent trace) has its call sites: its writes group by them like any kernel's.
    const handover = e.boot.handover && !e.boot.kernelSide ? { name: bootName(e.boot), kernel: e.boot.kernel } : undefined;
    const siteKey = handover ? `handover ${handover.kernel}` : [site.fn, ...site.callers].join(' < ');
    const change: Change = e.change;
    const key = [siteKey, e.boot.kernel, e.boot.handover ?? '', e.device.bdf, verdict, rule?.id ?? '', e.register, e.fields.join(','), hexv(e.old), e.oldStale, e.oldFrom ? 'carried' : '', hexv(e.new), change].join('|');
    const item = this.items.get(key);
    if (!item && this.items.size >= MAX_REPORT_ITEMS) {
      this.unlisted++;
      return;
    }
    let group = this.sites.get(siteKey);
    if (!group) {
      group = { fn: site.fn, callers: site.callers, items: [], raw: [], sources: null, ...(handover ? { handover } : {}) };
      this.sites.set(siteKey, group);
    }
    const raw = site.raw;
    if (raw && !group.raw.some((r) => r.first === raw.first && r.frames.join('\n') === raw.frames.join('\n'))) group.raw.push(raw);
    if (item) {
      item.count++;
      if (!item.phases.includes(e.phase)) item.phases.push(e.phase);
      return;
    }
    const fresh: ReportItem = {
      verdict, device: this.devices.get(e.device.bdf)!, register: e.register, fields: e.fields, old: e.old, new: e.new,
      oldStale: e.oldStale, change, width: e.width, count: 1, phases: [e.phase], rule, overrides, line: e.line, boot: e.boot,
      oldFrom: e.oldFrom ?? null,
    };
    this.items.set(key, fresh);
    group.items.push(fresh);
  }
}
