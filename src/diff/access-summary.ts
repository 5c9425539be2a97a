// One capture reduced to what `cfgscope diff` compares: per device identity, phase and call site,
// how many reads and writes it made; per (device, phase, register, call site), every write's
// old -> new with counts. Order and timestamps are dropped on purpose: two runs of the same
// machine interleave CPUs and kworkers differently, but a kernel change shows up here.

import { lastValueFrom, tap } from 'rxjs';
import { Inventory } from '../identity/inventory.js';
import { frameFunction } from '../parsers/accessors.js';
import { callSiteIndex, stacklessSite } from '../pipeline/call-site.js';
import { enrichAccesses } from '../pipeline/enrich-accesses.js';
import type { AccessEvent, PipelineEvent } from '../pipeline/events.js';
import { recordsFromFile, resolveFormat } from '../sources/records-from-file.js';

/** The device an access went to: BDF plus vendor:device, so a different card at the same address is another device. */
export interface DeviceKey { bdf: string; ids: string }

export interface SiteCount {
  device: DeviceKey; phase: string; callSite: string; reads: number; writes: number;
  /** The call site's frames as printed (offsets kept) -> their index in the stack, for --vmlinux. */
  frames?: Map<string, number>;
}

export interface WriteGroup {
  device: DeviceKey;
  phase: string;
  register: string;
  callSite: string;
  /** `0x0103 -> 0x0100` -> how many times. */
  values: Map<string, number>;
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
}

/** Writes the probe saw without a target (early boot, no arguments) still have a call site. */
export const UNKNOWN_DEVICE: DeviceKey = { bdf: '(unknown target)', ids: '????:????' };

const hex = (v: number | null, size: number): string => (v === null ? '?' : `0x${v.toString(16).padStart(size * 2, '0')}`);
const h4 = (n: number | undefined): string => (n === undefined ? '????' : n.toString(16).padStart(4, '0'));

export const deviceLabel = (d: DeviceKey): string => `${d.bdf} [${d.ids}]`;
export const siteKey = (s: Pick<SiteCount, 'device' | 'phase' | 'callSite'>): string => `${deviceLabel(s.device)}|${s.phase}|${s.callSite}`;
export const writeKey = (w: Pick<WriteGroup, 'device' | 'phase' | 'register' | 'callSite'>): string => `${siteKey(w)}|${w.register}`;

interface Raw { bdf: string | null; phase: string; callSite: string; frame: string | null; at: number; register: string; op: 'r' | 'w'; value: string | null }

function rawOf(e: AccessEvent, ignorePhases: boolean): Raw {
  const a = e.access;
  const register = e.register ?? (a.off === null ? `? (${a.fn ?? 'unknown accessor'})` : `0x${a.off.toString(16)}`);
  const value = a.op === 'w' ? `${hex(e.old, a.size)}${e.oldStale ? '?' : ''} -> ${hex(a.val, a.size)}` : null;
  return {
    bdf: e.bdf, phase: ignorePhases ? '*' : e.phase.label, callSite: e.callSite === null ? stacklessSite(a.layer === 'device') : frameFunction(e.callSite),
    frame: e.callSite, at: e.stack ? callSiteIndex(e.stack) : -1, register, op: a.op, value,
  };
}

export async function summarizeCapture(file: string, opts: SummaryOptions = {}): Promise<CaptureSummary> {
  const inventory = new Inventory();
  const format = await resolveFormat(file, opts.format ? { format: opts.format } : {});
  // Identity (vendor:device) may only be complete at the end of the trace: keep the accesses by BDF first.
  const raws: Raw[] = [];
  let skipped = 0;
  await lastValueFrom(recordsFromFile(file, format).pipe(enrichAccesses({ inventory }), tap((e) => {
    opts.onEvent?.(e);
    if (e.kind === 'skipped') skipped++;
    if (e.kind === 'access') raws.push(rawOf(e, opts.ignorePhases ?? false));
  })), { defaultValue: null });
  const ids = new Map(inventory.all().map((s) => [s.bdf, s.identity()]));
  const deviceOf = (bdf: string | null): DeviceKey => {
    if (bdf === null) return UNKNOWN_DEVICE;
    const id = ids.get(bdf);
    return { bdf, ids: `${h4(id?.vendor)}:${h4(id?.device)}` };
  };
  const sites = new Map<string, SiteCount>();
  const writes = new Map<string, WriteGroup>();
  for (const r of raws) {
    const base = { device: deviceOf(r.bdf), phase: r.phase, callSite: r.callSite };
    const sk = siteKey(base);
    const site = sites.get(sk) ?? { ...base, reads: 0, writes: 0, frames: new Map<string, number>() };
    sites.set(sk, site);
    if (r.frame !== null && !site.frames!.has(r.frame)) site.frames!.set(r.frame, r.at);
    if (r.op === 'r') { site.reads++; continue; }
    site.writes++;
    const w = { ...base, register: r.register };
    const wk = writeKey(w);
    const group = writes.get(wk) ?? { ...w, values: new Map<string, number>() };
    writes.set(wk, group);
    group.values.set(r.value!, (group.values.get(r.value!) ?? 0) + 1);
  }
  return { name: opts.name ?? file, sites, writes, accesses: raws.length, skipped };
}
