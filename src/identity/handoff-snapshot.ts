// Rebuilds each device's identity and the config values the kernel inherited from a trace that
// carries read values. A byte's inherited value is the first value the kernel read before anything
// wrote it; accesses in a `firmware` phase (QEMU's log before the kernel starts) are firmware's own
// and ignored. Device records given by the trace itself are merged in.

import { basename } from 'node:path';
import { formatBdf } from '../model/bdf.js';
import type { CaptureRecord, DeviceRecord } from '../model/records.js';
import { ByteSource, ShadowConfig } from '../model/shadow-config.js';
import { mergeIdentity } from './inventory.js';
import { identityFromShadow } from './trace-identity.js';

export class HandoffSnapshot {
  private readonly shadows = new Map<string, ShadowConfig>();
  /** Bytes something wrote before reading them: their inherited value is unknown. */
  private readonly written = new Map<string, Set<number>>();
  private readonly given = new Map<string, DeviceRecord>();
  private inFirmware = false;

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
    if (r.op === 'w') {
      for (let i = 0; i < r.size; i++) written.add(r.off + i);
      return;
    }
    for (let i = 0; i < r.size; i++) {
      const off = r.off + i;
      if (!written.has(off) && shadow.byte(off) === undefined) shadow.set(off, 1, Math.floor(r.val / 256 ** i) & 0xff, ByteSource.Snapshot);
    }
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
