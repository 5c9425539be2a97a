// The pipeline's first stage: turns capture records into pipeline events. It owns the per-run
// context (device inventory, stack table, current phase) and, per access, looks up the device,
// names the register from that device's own capability layout, takes the old value from the
// shadow config before applying the access, and finds the responsible call site.

import { Observable, type OperatorFunction } from 'rxjs';
import { Inventory } from '../identity/inventory.js';
import { countRecord, emptyCounts, type AccessRecord, type CaptureRecord } from '../model/records.js';
import { ByteSource } from '../model/shadow-config.js';
import { StackTable } from '../model/stack-table.js';
import { callSite } from './call-site.js';
import type { AccessEvent, EndEvent, PhaseRef, PipelineEvent } from './events.js';

export interface EnrichOptions {
  /** Inventory to start from (devices known before the stream: sysfs, a device-side capture). */
  inventory?: Inventory;
  /** Label of the part of the trace before the first phase marker. */
  firstPhase?: string;
}

export function enrichAccesses(opts: EnrichOptions = {}): OperatorFunction<CaptureRecord, PipelineEvent> {
  return (source) => new Observable<PipelineEvent>((subscriber) => {
    // All state lives in this subscription: two subscribers (a replay and a live run) share nothing.
    const inventory = opts.inventory ?? new Inventory();
    const stacks = new StackTable();
    const counts = emptyCounts();
    let phase: PhaseRef = { seq: 0, label: opts.firstPhase ?? 'boot', ts: null };
    let index = 0;
    /** Unattributed writes so far: each may have changed any byte of any device. */
    let epoch = 0;
    let trailer: EndEvent['trailer'] = 'missing';
    const byLayer = new Map<string, number>();
    const countLayer = (key: string): void => { byLayer.set(key, (byLayer.get(key) ?? 0) + 1); };
    /** Per layer, the `layer, r` and `layer, w` counters: one lookup per access instead of a key
     *  built and hashed; folded into byLayer (in first-seen order) when the stream ends. */
    const accessCounts = new Map<string, { r: number; w: number }>();
    const seenOrder: [string, 'r' | 'w'][] = [];
    const countAccess = (layer: string, op: 'r' | 'w'): void => {
      let c = accessCounts.get(layer);
      if (!c) {
        c = { r: 0, w: 0 };
        accessCounts.set(layer, c);
      }
      if (c[op]++ === 0) {
        seenOrder.push([layer, op]);
        byLayer.set(`${layer}, ${op}`, 0); // holds the key's place in first-seen order
      }
    };
    const foldCounts = (): void => {
      for (const [layer, op] of seenOrder) byLayer.set(`${layer}, ${op}`, accessCounts.get(layer)![op]);
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

    const onAccess = (a: AccessRecord): AccessEvent => {
      const frames = a.stack !== null ? stacks.get(a.stack) ?? null : null;
      const ev: AccessEvent = {
        kind: 'access', index: index++, access: a, bdf: null, register: null, mnemonic: null,
        old: null, oldFrom: ByteSource.Unknown, oldStale: false, callSite: a.stack !== null ? siteOf(a.stack, frames) : null, stack: frames, phase,
      };
      if (!a.known || a.seg === null || a.bus === null || a.devfn === null || a.off === null) {
        if (a.op === 'w') epoch++;
        return ev;
      }
      const dev = inventory.state(a.seg, a.bus, a.devfn);
      ev.bdf = dev.bdf;
      const reg = dev.namer().name(a.off, a.size);
      ev.register = reg.name;
      ev.mnemonic = reg.mnemonic ?? null;
      ev.old = dev.shadow.get(a.off, a.size);
      ev.oldFrom = ev.old === null ? ByteSource.Unknown : dev.shadow.sourceOf(a.off, a.size);
      ev.oldStale = ev.old !== null && dev.shadow.isStale(a.off, a.size, epoch);
      if (a.val !== null) {
        // Identity and layout only change when a read brings bytes never seen before (bounded:
        // 4096 per device); re-reading a known register, or writing, leaves the layout alone.
        const fresh = a.op === 'r' && dev.shadow.sourceOf(a.off, a.size) === ByteSource.Unknown;
        dev.shadow.set(a.off, a.size, a.val, a.op === 'r' ? ByteSource.Read : ByteSource.Written, epoch);
        if (fresh) {
          dev.touched();
          const found = dev.announce();
          if (found) subscriber.next({ kind: 'device', device: found });
        }
      }
      return ev;
    };

    return source.subscribe({
      next(r) {
        countRecord(counts, r);
        switch (r.t) {
          case 'access':
            countAccess(r.layer, r.op);
            subscriber.next(onAccess(r));
            break;
          case 'stack': stacks.define(r.id, r.frames); sites[r.id] = undefined; break;
          case 'device': inventory.give(r); subscriber.next({ kind: 'device', device: r }); break;
          case 'phase':
            phase = { seq: phase.seq + 1, label: r.label, ts: r.ts };
            subscriber.next({ kind: 'phase', phase, record: r });
            break;
          case 'lost': subscriber.next({ kind: 'lost', record: r, phase }); break;
          case 'skipped': subscriber.next({ kind: 'skipped', record: r }); break;
          case 'header': subscriber.next({ kind: 'header', header: r }); break;
          case 'source-count':
            if (r.key === 'ignored-console-lines') counts.ignoredLines += r.count;
            subscriber.next({ kind: 'source-count', record: r });
            break;
          case 'trailer': trailer = r.complete ? 'complete' : 'incomplete'; break;
          case 'nested': countLayer(`${r.layer}, nested`); break;
        }
      },
      error: (e: unknown) => subscriber.error(e),
      complete() {
        foldCounts();
        subscriber.next({ kind: 'end', counts, trailer, byLayer });
        subscriber.complete();
      },
    });
  });
}
