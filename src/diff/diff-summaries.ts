// What changed between two captures of the same machine: call sites and register writes that
// appeared or vanished, and writes whose values (old -> new, with counts) differ. Entries are
// matched by key (device identity, phase, call site, register), never by position, and listed in
// a sorted order so the same two inputs always give the same output.

import { deviceLabel, type CaptureSummary, type DeviceKey, type SiteCount, type WriteGroup } from './access-summary.js';

export type DiffChange = 'appeared' | 'vanished' | 'changed';

export interface SiteDiff {
  kind: 'call-site';
  change: Exclude<DiffChange, 'changed'>;
  device: DeviceKey;
  phase: string;
  callSite: string;
  reads: number;
  writes: number;
  /** With --vmlinux: the call site's source lines (one per distinct offset). */
  source?: string[];
}

/** `[value, count]` pairs, sorted by value. */
export type ValueCounts = [string, number][];

export interface WriteDiff {
  kind: 'write';
  change: DiffChange;
  device: DeviceKey;
  phase: string;
  callSite: string;
  register: string;
  base: ValueCounts;
  new: ValueCounts;
  source?: string[];
}

export interface DiffResult {
  base: string;
  new: string;
  sites: SiteDiff[];
  writes: WriteDiff[];
  totals: { baseAccesses: number; newAccesses: number; sitesAppeared: number; sitesVanished: number; writesAppeared: number; writesVanished: number; writesChanged: number };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const sorted = (m: ValueCounts | undefined): ValueCounts => [...(m ?? [])].sort((a, b) => cmp(a[0], b[0]));
const sameValues = (a: ValueCounts, b: ValueCounts): boolean => a.length === b.length && a.every(([v, n], i) => b[i]![0] === v && b[i]![1] === n);

/** Device, then phase in the base's order of appearance, then call site, then register. */
function order<T extends { device: DeviceKey; phase: string; callSite: string; register?: string }>(items: T[], phases: string[]): T[] {
  const rank = (p: string): number => { const i = phases.indexOf(p); return i === -1 ? phases.length : i; };
  return items.sort((a, b) => cmp(deviceLabel(a.device), deviceLabel(b.device)) || rank(a.phase) - rank(b.phase) || cmp(a.phase, b.phase)
    || cmp(a.callSite, b.callSite) || cmp(a.register ?? '', b.register ?? ''));
}

const siteDiff = (change: SiteDiff['change'], s: SiteCount): SiteDiff => ({ kind: 'call-site', change, device: s.device, phase: s.phase, callSite: s.callSite, reads: s.reads, writes: s.writes });

export function diffSummaries(base: CaptureSummary, next: CaptureSummary): DiffResult {
  const sites: SiteDiff[] = [];
  for (const [k, s] of base.sites) if (!next.sites.has(k)) sites.push(siteDiff('vanished', s));
  for (const [k, s] of next.sites) if (!base.sites.has(k)) sites.push(siteDiff('appeared', s));

  const writes: WriteDiff[] = [];
  const keys = new Set([...base.writes.keys(), ...next.writes.keys()]);
  for (const k of keys) {
    const a = base.writes.get(k);
    const b = next.writes.get(k);
    const w: WriteGroup = (a ?? b)!;
    const av = sorted(a?.values);
    const bv = sorted(b?.values);
    if (a && b && sameValues(av, bv)) continue;
    const change: DiffChange = !a ? 'appeared' : !b ? 'vanished' : 'changed';
    writes.push({ kind: 'write', change, device: w.device, phase: w.phase, callSite: w.callSite, register: w.register, base: av, new: bv });
  }
  const phases = [...new Set([...base.sites.values(), ...next.sites.values()].map((s) => s.phase))];
  const count = <T extends { change: string }>(xs: T[], c: string): number => xs.filter((x) => x.change === c).length;
  return {
    base: base.name, new: next.name, sites: order(sites, phases), writes: order(writes, phases),
    totals: {
      baseAccesses: base.accesses, newAccesses: next.accesses,
      sitesAppeared: count(sites, 'appeared'), sitesVanished: count(sites, 'vanished'),
      writesAppeared: count(writes, 'appeared'), writesVanished: count(writes, 'vanished'), writesChanged: count(writes, 'changed'),
    },
  };
}

export const isEmptyDiff = (d: DiffResult): boolean => d.sites.length === 0 && d.writes.length === 0;
