// The pipeline's first stage: turns capture records into pipeline events. It owns the per-run
// context (device inventory, stack table, current phase) and, per access, looks up the device,
// names the register from that device's own capability layout, takes the old value from the
// shadow config before applying the access, and finds the responsible call site.

import { Observable, type OperatorFunction } from 'rxjs';
import { Inventory, type DeviceState } from '../identity/inventory.js';
import { countRecord, emptyCounts, type AccessRecord, type CaptureRecord } from '../model/records.js';
import { ByteSource, type OldValue } from '../model/shadow-config.js';
import { StackTable } from '../model/stack-table.js';
import { callSite } from './call-site.js';
import type { AccessEvent, EndEvent, PhaseRef, PipelineEvent } from './events.js';

export interface EnrichOptions {
  /** Inventory to start from (devices known before the stream: sysfs, a device-side capture). */
  inventory?: Inventory;
  /** Label of the part of the trace before the first phase marker. */
  firstPhase?: string;
}

interface LayerCounts { layer: string; r: number; w: number; nested: number }

/** The stage as plain calls: what enrichAccesses runs per subscription, and what an operator that
 *  fuses it with the next stage (checkAccesses) runs without a subscriber hop per access. */
export interface AccessEnricher {
  next(r: CaptureRecord): void;
  /** Emits the end event. */
  complete(): void;
}

/**
 * A fresh enricher (all its state is its own: two runs share nothing) that hands its events to
 * `emit`, in stream order. `wanted`, when given, says which accesses the one consumer reads at
 * all: for the others only the bookkeeping is done (index, counts, the device's place in the
 * inventory), not the naming, old value and event, which nobody would read.
 */
export function accessEnricher(opts: EnrichOptions, emit: (e: PipelineEvent) => void, wanted?: (a: AccessRecord) => boolean): AccessEnricher {
  const inventory = opts.inventory ?? new Inventory();
  const stacks = new StackTable();
  const counts = emptyCounts();
  let phase: PhaseRef = { seq: 0, label: opts.firstPhase ?? 'boot', ts: null };
  let index = 0;
  /** Unattributed writes so far: each may have changed any byte of any device. */
  let epoch = 0;
  let trailer: EndEvent['trailer'] = 'missing';
  const byLayer = new Map<string, number>();
  /** Per layer, its `layer, r`, `layer, w` and `layer, nested` counters: one counter object per
   *  layer (the last one used is kept at hand: accesses come in runs of one layer) instead of a
   *  key built and hashed per record; folded into byLayer, in first-seen order, at the end. */
  const layers = new Map<string, LayerCounts>();
  const seenOrder: [LayerCounts, 'r' | 'w' | 'nested'][] = [];
  const countsOf = (layer: string): LayerCounts => {
    let c = layers.get(layer);
    if (!c) {
      c = { layer, r: 0, w: 0, nested: 0 };
      layers.set(layer, c);
    }
    return c;
  };
  const firstOf = (c: LayerCounts, what: 'r' | 'w' | 'nested'): void => {
    seenOrder.push([c, what]);
    byLayer.set(`${c.layer}, ${what}`, 0); // holds the key's place in first-seen order
  };
  let lastAccessLayer: LayerCounts = { layer: '', r: 0, w: 0, nested: 0 };
  let lastNestedLayer = lastAccessLayer;
  const countAccess = (layer: string, op: 'r' | 'w'): void => {
    let c = lastAccessLayer;
    if (c.layer !== layer) lastAccessLayer = c = countsOf(layer);
    if (op === 'r') {
      if (c.r++ === 0) firstOf(c, 'r');
    } else if (c.w++ === 0) firstOf(c, 'w');
  };
  const countNested = (layer: string): void => {
    let c = lastNestedLayer;
    if (c.layer !== layer) lastNestedLayer = c = countsOf(layer);
    if (c.nested++ === 0) firstOf(c, 'nested');
  };
  const foldCounts = (): void => {
    for (const [c, what] of seenOrder) byLayer.set(`${c.layer}, ${what}`, c[what]);
  };
  /** Call site per stack id (ids are small integers): a stack is shared by many accesses. */
  const sites: (string | null | undefined)[] = [];
  const siteOf = (id: number, frames: readonly string[] | null): string | null => {
    let s = sites[id];
    if (s === undefined) {
      s = callSite(frames);
      sites[id] = s;
    }
    return s;
  };

  /** The device of the previous access: accesses come in runs on one device. */
  let last: DeviceState | null = null;
  let lastSeg = -1;
  let lastBus = -1;
  let lastDevfn = -1;
  const before: OldValue = { value: null, from: ByteSource.Unknown, stale: false, fresh: false };

  const onAccess = (a: AccessRecord): AccessEvent | null => {
    if (!a.known || a.seg === null || a.bus === null || a.devfn === null || a.off === null) {
      if (a.op === 'w') epoch++;
      const frames = a.stack !== null ? stacks.get(a.stack) ?? null : null;
      return {
        kind: 'access', index: index++, access: a, bdf: null, register: null, mnemonic: null,
        old: null, oldFrom: ByteSource.Unknown, oldStale: false, callSite: a.stack !== null ? siteOf(a.stack, frames) : null, stack: frames, phase,
      };
    }
    let dev = last;
    if (dev === null || a.devfn !== lastDevfn || a.bus !== lastBus || a.seg !== lastSeg) {
      dev = last = inventory.state(a.seg, a.bus, a.devfn);
      lastSeg = a.seg;
      lastBus = a.bus;
      lastDevfn = a.devfn;
    }
    // Only accesses without a value are ever skipped: they leave the shadow alone, so the layout
    // and identity they would have refreshed are refreshed, from the same bytes, by whatever
    // reads them next.
    if (a.val === null && wanted !== undefined && !wanted(a)) {
      index++;
      return null;
    }
    const frames = a.stack !== null ? stacks.get(a.stack) ?? null : null;
    const site = a.stack !== null ? siteOf(a.stack, frames) : null;
    const reg = dev.namer().name(a.off, a.size);
    dev.shadow.lookOld(a.off, a.size, epoch, before);
    const ev: AccessEvent = {
      kind: 'access', index: index++, access: a, bdf: dev.bdf, register: reg.name, mnemonic: reg.mnemonic ?? null,
      old: before.value, oldFrom: before.from, oldStale: before.stale, callSite: site, stack: frames, phase,
    };
    if (a.val !== null) {
      // Identity and layout only change when a read brings bytes never seen before (bounded:
      // 4096 per device); re-reading a known register, or writing, leaves the layout alone.
      const fresh = a.op === 'r' && before.fresh;
      dev.shadow.set(a.off, a.size, a.val, a.op === 'r' ? ByteSource.Read : ByteSource.Written, epoch);
      if (fresh) {
        dev.touched();
        const found = dev.announce();
        if (found) emit({ kind: 'device', device: found });
      }
    }
    return ev;
  };

  return {
    next(r) {
      if (r.t === 'access') {
        // countRecord's access case, inline: this runs for every access.
        counts.accesses++;
        if (r.op === 'r') counts.reads++; else counts.writes++;
        if (!r.known) counts.unknownAccesses++;
        countAccess(r.layer, r.op);
        const ev = onAccess(r);
        if (ev !== null) emit(ev);
        return;
      }
      countRecord(counts, r);
      switch (r.t) {
        case 'stack': stacks.define(r.id, r.frames); sites[r.id] = undefined; break;
        case 'device': inventory.give(r); emit({ kind: 'device', device: r }); break;
        case 'phase':
          phase = { seq: phase.seq + 1, label: r.label, ts: r.ts };
          emit({ kind: 'phase', phase, record: r });
          break;
        case 'lost': emit({ kind: 'lost', record: r, phase }); break;
        case 'skipped': emit({ kind: 'skipped', record: r }); break;
        case 'header': emit({ kind: 'header', header: r }); break;
        case 'source-count':
          if (r.key === 'ignored-console-lines') counts.ignoredLines += r.count;
          emit({ kind: 'source-count', record: r });
          break;
        case 'trailer': trailer = r.complete ? 'complete' : 'incomplete'; break;
        case 'nested': countNested(r.layer); break;
      }
    },
    complete() {
      foldCounts();
      emit({ kind: 'end', counts, trailer, byLayer });
    },
  };
}

export function enrichAccesses(opts: EnrichOptions = {}): OperatorFunction<CaptureRecord, PipelineEvent> {
  return (source) => new Observable<PipelineEvent>((subscriber) => {
    // One enricher per subscription: two subscribers (a replay and a live run) share nothing.
    const enricher = accessEnricher(opts, (e) => subscriber.next(e));
    return source.subscribe({
      next: (r) => enricher.next(r),
      error: (e: unknown) => subscriber.error(e),
      complete() {
        enricher.complete();
        subscriber.complete();
      },
    });
  });
}
