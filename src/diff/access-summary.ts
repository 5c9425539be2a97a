// One capture reduced to what `cfgscope diff` compares: per device identity, phase and call site,
// how many reads and writes it made; per (device, phase, register, call site), every write's
// old -> new with counts. Order and timestamps are dropped on purpose: two runs of the same
// machine interleave CPUs and kworkers differently, but a kernel change shows up here.

import { lastValueFrom, tap } from 'rxjs';
import { KERNEL_1, labelInBoot } from '../model/boots.js';
import { selectorName, type BootSelector } from '../model/boot-selection.js';
import { selectBoot } from '../pipeline/select-boot.js';
import { Inventory } from '../identity/inventory.js';
import { parseBdf } from '../model/bdf.js';
import { frameFunction } from '../parsers/accessors.js';
import { callSiteIndex, stacklessSite } from '../pipeline/call-site.js';
import { enrichAccesses } from '../pipeline/enrich-accesses.js';
import type { AccessEvent, PipelineEvent } from '../model/events.js';
import { recordsFromFile, resolveFormat } from '../sources/records-from-file.js';

/** The device an access went to: BDF plus vendor:device, so a different card at the same address is another device. */
export interface DeviceKey { bdf: string; ids: string }

export interface SiteCount {
  device: DeviceKey; phase: string; callSite: string; reads: number; writes: number;
  /** The call site's frames as printed (offsets kept) and their index in the stack, for --vmlinux,
   *  in first-seen order. Pairs, not a Map: a summary holds one per device, phase and call site. */
  frames?: [string, number][];
}

export interface WriteGroup {
  device: DeviceKey;
  phase: string;
  register: string;
  callSite: string;
  /** `0x0103 -> 0x0100` and how many times, in first-seen order (pairs: see SiteCount.frames). */
  values: [string, number][];
}

export interface CaptureSummary {
  name: string;
  sites: Map<string, SiteCount>;
  writes: Map<string, WriteGroup>;
  accesses: number;
  skipped: number;
}

export interface SummaryOptions {
  /** How to name the capture in output (the path as given). */
  name?: string;
  format?: string;
  /** Match across phases: every access counts as phase `*`. */
  ignorePhases?: boolean;
  onEvent?: (e: PipelineEvent) => void;
  /** Keep each call site's frames (SiteCount.frames, for --vmlinux); default true. */
  frames?: boolean;
  /** `--boot`: only this boot's accesses, its phases named as within it (so kernel 1's `boot`
   *  phase and kernel 2's are the same phase when the two are compared). */
  boot?: BootSelector;
}

/** Writes the probe saw without a target (early boot, no arguments) still have a call site. */
export const UNKNOWN_DEVICE: DeviceKey = { bdf: '(unknown target)', ids: '????:????' };

const hex = (v: number | null, size: number): string => (v === null ? '?' : `0x${v.toString(16).padStart(size * 2, '0')}`);
const h4 = (n: number | undefined): string => (n === undefined ? '????' : n.toString(16).padStart(4, '0'));

export const deviceLabel = (d: DeviceKey): string => `${d.bdf} [${d.ids}]`;
export const siteKey = (s: Pick<SiteCount, 'device' | 'phase' | 'callSite'>): string => `${deviceLabel(s.device)}|${s.phase}|${s.callSite}`;
export const writeKey = (w: Pick<WriteGroup, 'device' | 'phase' | 'register' | 'callSite'>): string => `${siteKey(w)}|${w.register}`;

interface Raw { bdf: string | null; phase: string; callSite: string; frame: string | null; at: number; register: string; op: 'r' | 'w'; value: string | null }

function rawOf(e: AccessEvent, ignorePhases: boolean, inBoot: boolean): Raw {
  const a = e.access;
  const register = e.register ?? (a.off === null ? `? (${a.fn ?? 'unknown accessor'})` : `0x${a.off.toString(16)}`);
  const value = a.op === 'w' ? `${hex(e.old, a.size)}${e.oldStale ? '?' : ''} -> ${hex(a.val, a.size)}` : null;
  return {
    bdf: e.bdf, phase: ignorePhases ? '*' : inBoot ? labelInBoot(e.phase.boot ?? KERNEL_1, e.phase.label) : e.phase.label, callSite: e.callSite === null ? stacklessSite(a.layer === 'device') : frameFunction(e.callSite),
    frame: e.callSite, at: e.stack ? callSiteIndex(e.stack) : -1, register, op: a.op, value,
  };
}

/** Distinct keys with a number each, in first-seen order: one pair array while small (most
 *  entries hold one or two), indexed by a Map once larger so a hostile input stays linear. */
class Pairs {
  list: [string, number][] = NO_PAIRS;
  private index: Map<string, [string, number]> | null = null;

  find(key: string): [string, number] | undefined {
    if (this.index) return this.index.get(key);
    for (const p of this.list) if (p[0] === key) return p;
    return undefined;
  }

  add(key: string, n: number): [string, number] {
    const p: [string, number] = [key, n];
    // The first pair makes an array of one (an empty array's first push reserves 17 slots).
    if (this.list === NO_PAIRS) this.list = [p];
    else this.list.push(p);
    if (this.index) this.index.set(key, p);
    else if (this.list.length > 8) this.index = new Map(this.list.map((x) => [x[0], x]));
    return p;
  }
}

/** Shared by every Pairs that has none yet; never added to (add replaces it). */
const NO_PAIRS: [string, number][] = Object.freeze([]) as unknown as [string, number][];

interface Counted { bdf: string | null; phase: string; callSite: string; reads: number; writes: number; frames: Pairs }
interface Written { bdf: string | null; phase: string; callSite: string; register: string; values: Pairs }

export async function summarizeCapture(file: string, opts: SummaryOptions = {}): Promise<CaptureSummary> {
  const inventory = new Inventory();
  const format = await resolveFormat(file, opts.format ? { format: opts.format } : {});
  // Identity (vendor:device) may only be complete at the end of the trace: the counts are kept by
  // BDF while the stream runs (one entry per device, phase, call site and register, not one per
  // access: memory grows with what the trace touched) and keyed by identity at the end.
  const counted = new Map<string, Counted>();
  const written = new Map<string, Written>();
  let accesses = 0;
  let skipped = 0;
  const keepFrames = opts.frames ?? true;
  const texts = new Map<string, string>();
  const intern = (t: string): string => {
    const had = texts.get(t);
    if (had !== undefined) return had;
    texts.set(t, t);
    return t;
  };
  await lastValueFrom(recordsFromFile(file, format).pipe(enrichAccesses({ inventory }), selectBoot(opts.boot, file), tap((e) => {
    opts.onEvent?.(e);
    if (e.kind === 'skipped') skipped++;
    if (e.kind !== 'access') return;
    accesses++;
    const r = rawOf(e, opts.ignorePhases ?? false, opts.boot !== undefined);
    // One copy of each call site and value text, however many devices share it.
    r.callSite = intern(r.callSite);
    if (r.value !== null) r.value = intern(r.value);
    const ck = `${r.bdf ?? ''}|${r.phase}|${r.callSite}`;
    let site = counted.get(ck);
    if (!site) {
      site = { bdf: r.bdf, phase: r.phase, callSite: r.callSite, reads: 0, writes: 0, frames: new Pairs() };
      counted.set(ck, site);
    }
    if (keepFrames && r.frame !== null && site.frames.find(r.frame) === undefined) site.frames.add(r.frame, r.at);
    if (r.op === 'r') { site.reads++; return; }
    site.writes++;
    const wk = `${ck}|${r.register}`;
    let group = written.get(wk);
    if (!group) {
      group = { bdf: r.bdf, phase: r.phase, callSite: r.callSite, register: r.register, values: new Pairs() };
      written.set(wk, group);
    }
    const v = group.values.find(r.value!) ?? group.values.add(r.value!, 0);
    v[1]++;
  })), { defaultValue: null });
  const devices = new Map<string, DeviceKey>();
  const deviceOf = (bdf: string | null): DeviceKey => {
    if (bdf === null) return UNKNOWN_DEVICE;
    let key = devices.get(bdf);
    if (!key) {
      const s = parseBdf(bdf);
      const id = s ? inventory.state(s.seg, s.bus, s.devfn).identity() : undefined;
      key = { bdf, ids: `${h4(id?.vendor)}:${h4(id?.device)}` };
      devices.set(bdf, key);
    }
    return key;
  };
  // A BDF has one identity: entries that were apart by BDF stay apart by identity.
  const sites = new Map<string, SiteCount>();
  // Entries are dropped from the by-BDF maps as they move: both are never held whole at once.
  for (const [k, c] of counted) {
    const site: SiteCount = { device: deviceOf(c.bdf), phase: c.phase, callSite: c.callSite, reads: c.reads, writes: c.writes };
    if (keepFrames) site.frames = c.frames.list;
    sites.set(siteKey(site), site);
    counted.delete(k);
  }
  const writes = new Map<string, WriteGroup>();
  for (const [k, w] of written) {
    const group: WriteGroup = { device: deviceOf(w.bdf), phase: w.phase, callSite: w.callSite, register: w.register, values: w.values.list };
    writes.set(writeKey(group), group);
    written.delete(k);
  }
  // boot: the capture's name says which boot was compared (`k.ndjson, kernel 2 (after kexec)`).
  const name = opts.name ?? file;
  return { name: opts.boot ? `${name}, ${selectorName(opts.boot)}` : name, sites, writes, accesses, skipped };
}
