// Rebuilds each device's identity and the config values the kernel inherited from a trace that
// carries read values. A byte's inherited value is the first value the kernel read before anything
// wrote it; accesses in a `firmware` phase (QEMU's log before the kernel starts) are firmware's own
// and ignored. Device records given by the trace itself are merged in.

import { basename } from 'node:path';
import { formatBdf } from '../model/bdf.js';
import type { CaptureRecord, DeviceRecord } from '../model/records.js';
import { ByteSource, ShadowConfig } from '../model/shadow-config.js';
import { layoutWidth, widestAt } from '../registers/access-width.js';
import { compileLayout, type CompiledLayout } from '../registers/layout.js';
import { mergeIdentity } from './inventory.js';
import { identityFromShadow } from './trace-identity.js';

export class HandoffSnapshot {
  private readonly shadows = new Map<string, ShadowConfig>();
  /** Bytes something wrote before reading them: their inherited value is unknown. */
  private readonly written = new Map<string, Set<number>>();
  private readonly given = new Map<string, DeviceRecord>();
  private inFirmware = false;
  /** Per device, the layout its shadow gives now; dropped when a read brings new bytes. */
  private readonly layouts = new Map<string, { layout: CompiledLayout; pending: Set<number> }>();

  constructor(readonly origin: string) {}

  add(r: CaptureRecord): void {
    if (r.t === 'phase') { this.inFirmware = r.label === 'firmware'; return; }
    if (r.t === 'device') { this.given.set(r.bdf, this.given.has(r.bdf) ? mergeIdentity(this.given.get(r.bdf)!, r) : r); return; }
    if (r.t !== 'access' || this.inFirmware || !r.known || r.bus === null || r.devfn === null || r.off === null || r.val === null) return;
    const bdf = formatBdf(r.seg ?? 0, r.bus, r.devfn);
    let shadow = this.shadows.get(bdf);
    if (!shadow) {
      shadow = new ShadowConfig();
      this.shadows.set(bdf, shadow);
      this.written.set(bdf, new Set());
    }
    const written = this.written.get(bdf)!;
    // An access of unlogged width (QEMU's): the register layout may give its width. If not, a
    // write may have covered every byte up to the alignment's limit, a read only those its
    // value needs (capture-format.md, `sizeGuessed`).
    let size: number = r.size;
    if (r.sizeGuessed === true && size < widestAt(r.off)) size = this.widthOf(bdf, shadow, r.off, size) ?? (r.op === 'w' ? widestAt(r.off) : size);
    if (r.op === 'w') {
      for (let i = 0; i < size; i++) written.add(r.off + i);
      return;
    }
    for (let i = 0; i < size; i++) {
      const off = r.off + i;
      if (!written.has(off) && shadow.byte(off) === undefined) {
        shadow.set(off, 1, Math.floor(r.val / 256 ** i) & 0xff, ByteSource.Snapshot);
        this.layouts.delete(bdf);
      }
    }
  }

  /**
   * The layout's width for an access at `off` (access-width.ts layoutWidth), unless the layout
   * is not sure of that offset yet: a capability some known capability points to but whose own
   * header was not read still looks like the end of the previous one.
   */
  private widthOf(bdf: string, shadow: ShadowConfig, off: number, least: number): number | undefined {
    let l = this.layouts.get(bdf);
    if (!l) {
      const id = identityFromShadow(bdf, shadow);
      const given = this.given.get(bdf);
      const merged = given ? mergeIdentity(given, id) : id;
      const known = new Set([...(merged.caps ?? []), ...(merged.ecaps ?? [])].map((c) => c.off));
      const pending = new Set<number>();
      for (const c of merged.caps ?? []) {
        const next = shadow.byte(c.off + 1);
        if (next !== undefined && next !== 0 && !known.has(next)) pending.add(next & ~3);
      }
      for (const c of merged.ecaps ?? []) {
        const hi = shadow.get(c.off + 2, 2);
        const next = hi === null ? 0 : hi >> 4;
        if (next !== 0 && !known.has(next)) pending.add(next & ~3);
      }
      l = { layout: compileLayout({ headerType: merged.headerType, caps: merged.caps, ecaps: merged.ecaps }), pending };
      this.layouts.set(bdf, l);
    }
    const w = layoutWidth(l.layout, off, least);
    if (w === undefined) return undefined;
    for (let b = off; b < off + w; b++) if (l.pending.has(b)) return undefined;
    return w;
  }

  devices(): DeviceRecord[] {
    const out: DeviceRecord[] = [];
    for (const [bdf, shadow] of this.shadows) {
      const traced = identityFromShadow(bdf, shadow);
      // A device that answered no vendor id read is absent (reads of an empty slot return 0xffff).
      if (traced.vendor === undefined || traced.vendor === 0xffff) continue;
      traced.config = shadow.toHex();
      traced.from = `trace:${basename(this.origin)}`;
      const given = this.given.get(bdf);
      out.push(given ? mergeIdentity(given, traced) : traced);
    }
    for (const [bdf, rec] of this.given) if (!this.shadows.has(bdf)) out.push(rec);
    return out.sort((a, b) => (a.bdf < b.bdf ? -1 : 1));
  }
}
