// The pipeline's first stage: turns capture records into pipeline events. It owns the per-run
// context (device inventory, stack table, current phase) and, per access, looks up the device,
// names the register from that device's own capability layout, takes the old value from the
// shadow config before applying the access, and finds the responsible call site.

import { Observable, type OperatorFunction } from 'rxjs';
import { Inventory, type DeviceState } from '../identity/inventory.js';
import { countRecord, emptyCounts, type AccessRecord, type CaptureRecord } from '../model/records.js';
import { ByteSource, type OldValue } from '../model/shadow-config.js';
import { StackTable } from '../model/stack-table.js';
import { layoutWidth, widestAt } from '../registers/access-width.js';
import type { HeaderKind } from '../registers/header.js';
import type { RegisterName } from '../registers/types.js';
import type { CompiledLayout } from '../registers/layout.js';
import { applyWrite, attributesOf, functionReset, resetsBelow, type Attributes, type BarFacts } from '../registers/write-semantics.js';
import { entersUntraced, firstPhase, phaseAfter } from './boot-phase.js';
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
 *  fuses it with the next stage (enrichAndCheck) runs without a subscriber hop per access. */
export interface AccessEnricher {
  next(r: CaptureRecord): void;
  /** Emits the end event. */
  complete(): void;
}

/** What the one consumer of a fused enricher (enrichAndCheck) tells it, so that it can leave out
 *  the naming, old value and event of accesses the consumer would not read. */
export interface EnrichShortcuts {
  /** False for a known access without a value whose event the consumer would ignore. */
  wants(a: AccessRecord): boolean;
  /** Called for a known access once it is applied to its device's shadow (the event would
   *  follow; `old` is the event's old value): true when the consumer has dealt with the access
   *  itself and wants no event. */
  takes(a: AccessRecord, dev: DeviceState, old: number | null): boolean;
}

/**
 * A fresh enricher (all its state is its own: two runs share nothing) that hands its events to
 * `emit`, in stream order. With `shortcuts` (one consumer), the accesses it declines get only
 * the bookkeeping (index, counts, the device's place in the inventory, its shadow).
 */
export function accessEnricher(opts: EnrichOptions, emit: (e: PipelineEvent) => void, shortcuts?: EnrichShortcuts): AccessEnricher {
  const inventory = opts.inventory ?? new Inventory();
  const stacks = new StackTable();
  const counts = emptyCounts();
  let phase: PhaseRef = firstPhase(opts.firstPhase ?? 'boot'); // boot: kernel 1's first phase
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
  let lastAccessLayer: LayerCounts | null = null;
  let lastNestedLayer: LayerCounts | null = null;
  const countAccess = (layer: string, op: 'r' | 'w'): void => {
    let c = lastAccessLayer;
    if (c === null || c.layer !== layer) lastAccessLayer = c = countsOf(layer);
    if (op === 'r') {
      if (c.r++ === 0) firstOf(c, 'r');
    } else if (c.w++ === 0) firstOf(c, 'w');
  };
  const countNested = (layer: string): void => {
    let c = lastNestedLayer;
    if (c === null || c.layer !== layer) lastNestedLayer = c = countsOf(layer);
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
  /** Per register name (layouts keep one object per offset and width), its bits' attributes. */
  const attributes = new WeakMap<RegisterName, Attributes>();
  /** Per device, per BAR, the lowest bit known to be read-write (write-semantics.ts applyWrite). */
  const barFloors = new WeakMap<DeviceState, Map<number, BarFacts>>();
  /** Per device, a bit per config byte ever known: a byte a write or reset made unknown again
   *  (BAR sizing, FLR) that a read brings back is no news for the identity or layout. */
  const seen = new WeakMap<DeviceState, Uint8Array>();
  const firstSight = (d: DeviceState, off: number, size: number): boolean => {
    let bits = seen.get(d);
    if (!bits) {
      bits = new Uint8Array(512);
      seen.set(d, bits);
    }
    let news = false;
    for (let b = off; b < off + size && b < 4096; b++) {
      const m = 1 << (b & 7);
      if ((bits[b >> 3]! & m) === 0) { bits[b >> 3]! |= m; news = true; }
    }
    return news;
  };
  /** Whether a reset leaves a byte known: read-only as a whole, by the cached attributes. */
  const keepOf = (l: CompiledLayout, off: number): boolean => attributesFor(l.name(off, 1), l.headerKind).ro === 0xff;
  const floorsOf = (d: DeviceState): Map<number, BarFacts> => {
    let m = barFloors.get(d);
    if (!m) {
      m = new Map();
      barFloors.set(d, m);
    }
    return m;
  };
  const attributesFor = (reg: RegisterName, kind: HeaderKind): Attributes => {
    let at = attributes.get(reg);
    if (at === undefined) {
      at = attributesOf(reg, reg.size, kind);
      attributes.set(reg, at);
    }
    return at;
  };

  const onAccess = (rec: AccessRecord): AccessEvent | null => {
    let a = rec;
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
    // Only accesses without a value are ever skipped here: they leave the shadow alone, so the
    // layout and identity they would have refreshed are refreshed, from the same bytes, by
    // whatever reads them next.
    if (a.val === null && shortcuts !== undefined && !shortcuts.wants(a)) {
      index++;
      return null;
    }
    // The layout and old value as they are before this access (the layout is refreshed now, as
    // every access does: a later refresh would see this access's bytes).
    const off = a.off;
    const layout = dev.namer();
    // A device-side write of unlogged width (capture-format.md, `sizeGuessed`): the register
    // layout may give its width; if not, the bytes it may also have covered become unknown.
    let mayCover = 0;
    if (a.sizeGuessed === true && a.op === 'w') {
      const w = layoutWidth(layout, off, a.size);
      if (w !== undefined && w !== a.size) a = { ...a, size: w, sizeGuessed: false };
      else if (w === undefined) mayCover = widestAt(off) - a.size;
    }
    dev.shadow.lookOld(off, a.size, epoch, before);
    const old = before.value;
    const oldFrom = before.from;
    const oldStale = before.stale;
    if (a.val !== null) {
      // Identity and layout only change when a read brings bytes never seen before (bounded:
      // 4096 per device); re-reading a known register, or writing, leaves the layout alone.
      const fresh = a.op === 'r' && before.fresh && firstSight(dev, off, a.size);
      if (a.op === 'r') dev.shadow.set(off, a.size, a.val, ByteSource.Read, epoch);
      else {
        // What the device holds after the write: read-only bits kept, RW1C cleared, ...
        const reg = layout.name(off, a.size);
        applyWrite(dev.shadow, layout, reg, attributesFor(reg, layout.headerKind), off, a.size, a.val, ByteSource.Written, epoch, floorsOf(dev), keepOf);
        // A wider write would have put 0 there (the value has no bits there): a byte known to be 0
        // stays known, any other may have changed.
        for (let i = a.size; i < a.size + mayCover; i++) if (dev.shadow.byte(off + i) !== 0) dev.shadow.forget(off + i, 1);
        if (resetsBelow(layout, off, a.size, a.val)) {
          // Secondary bus reset: every function on the buses below the bridge is reset.
          const sec = dev.shadow.byte(0x19);
          const sub = dev.shadow.byte(0x1a);
          for (const d of inventory.all()) {
            if (sec === undefined || sub === undefined || (d.bdf.slice(0, 4) === dev.bdf.slice(0, 4) && busOf(d.bdf) >= sec && busOf(d.bdf) <= sub)) {
              if (d !== dev) {
                functionReset(d.shadow, d.namer(), keepOf);
                d.shadowChanged();
              }
            }
          }
        }
      }
      // Roles follow bus numbers: the inventory's change log says which devices to look at again.
      dev.shadowChanged();
      if (fresh) {
        dev.touched();
        const found = dev.announce();
        if (found) emit({ kind: 'device', device: found });
      }
    }
    if (shortcuts !== undefined && shortcuts.takes(a, dev, old)) {
      index++;
      return null;
    }
    const frames = a.stack !== null ? stacks.get(a.stack) ?? null : null;
    const reg = layout.name(off, a.size);
    return {
      kind: 'access', index: index++, access: a, bdf: dev.bdf, register: reg.name, mnemonic: reg.mnemonic ?? null,
      old, oldFrom, oldStale, callSite: a.stack !== null ? siteOf(a.stack, frames) : null, stack: frames, phase,
    };
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
        case 'boot': // boot: a boot record starts a phase of its boot; a marker's phase stays in its boot
          if (entersUntraced(phase, r)) epoch++; // boot: an untraced handover may have changed any byte
          phase = phaseAfter(phase, r);
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

const busOf = (bdf: string): number => parseInt(bdf.slice(5, 7), 16);

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
