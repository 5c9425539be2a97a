// The pipeline's first stage: turns capture records into pipeline events. It owns the device
// model of the run (the inventory: identity, shadow config and register layout per device, and
// the devices' roles under the policy) and, per access, resolves the device once, takes the old
// value from the shadow config before applying the access, and puts the device, its identity and
// role and the register's location on the event. Accesses the access filter leaves out are
// applied to the device model all the same (later old values, identities and roles depend on
// them); they only make no event.

import { Inventory, type DeviceState } from '../identity/inventory.js';
import type { AccessEvent, EndEvent, OldOrigin, PhaseRef, PipelineEvent, Role } from '../model/events.js';
import { countRecord, emptyCounts, type AccessRecord, type CaptureRecord, type DeviceRecord } from '../model/records.js';
import { ByteSource, type OldValue } from '../model/shadow-config.js';
import { StackTable } from '../model/stack-table.js';
import { RoleMap } from '../policy/device-roles.js';
import { ALL_ACCESSES, type AccessFilter } from '../policy/compiled-policy.js';
import type { DeviceSelector } from '../policy/policy-types.js';
import { layoutWidth, widestAt } from '../registers/access-width.js';
import type { RegisterName } from '../registers/types.js';
import { entersUntraced, firstPhase, phaseAfter } from './boot-phase.js';
import { callSite } from './call-site.js';
import { DeviceWrites } from './device-writes.js';
import { LayerCounts } from './layer-counts.js';

export interface EnrichOptions {
  /** Inventory to start from (devices known before the stream: sysfs, a device-side capture). */
  inventory?: Inventory;
  /** Label of the part of the trace before the first phase marker. */
  firstPhase?: string;
  /** The policy's preserved devices: the roles on the events follow them (none: all 'other'). */
  preserved?: readonly DeviceSelector[];
  /** Which accesses make events (default: all). */
  filter?: AccessFilter;
}

/** PRIMARY_BUS, SECONDARY_BUS, SUBORDINATE_BUS: 0x18-0x1a of a bridge's header. */
const touchesBusNumbers = (off: number, size: number): boolean => off <= 0x1a && off + size > 0x18;

/** Only a bridge (or a device whose header type is still unknown) has bus numbers there; on an
 *  endpoint 0x18-0x1a is BASE_ADDRESS_2, which BAR sizing writes on every enumeration. */
const mayBeBridge = (id: DeviceRecord): boolean => id.headerType === undefined || (id.headerType & 0x7f) === 1;

/** A fresh enricher (all its state is its own: two runs share nothing) that hands its events to
 *  `emit`, in stream order. */
export class Enricher {
  readonly inventory: Inventory;
  private readonly roles: RoleMap | null;
  private readonly filter: AccessFilter;
  private readonly writes: DeviceWrites;
  private readonly stacks = new StackTable();
  private readonly counts = emptyCounts();
  private readonly layers = new LayerCounts();
  /** Call site per stack id (ids are small integers): a stack is shared by many accesses. */
  private readonly sites: (string | null | undefined)[] = [];
  private phase: PhaseRef;
  private index = 0;
  private knownWrites = 0;
  /** Unattributed writes so far: each may have changed any byte of any device. */
  private epoch = 0;
  private trailer: EndEvent['trailer'] = 'missing';
  /** The device of the previous access: accesses come in runs on one device. */
  private last: DeviceState | null = null;
  private lastSeg = -1;
  private lastBus = -1;
  private lastDevfn = -1;
  /** inventory.size when the roles last heard of a new device. */
  private devicesSeen = 0;
  private readonly before: OldValue = { value: null, from: ByteSource.Unknown, stale: false, fresh: false };

  constructor(opts: EnrichOptions, private readonly emit: (e: PipelineEvent) => void) {
    this.inventory = opts.inventory ?? new Inventory();
    this.roles = opts.preserved !== undefined && opts.preserved.length > 0 ? new RoleMap(this.inventory, opts.preserved) : null;
    this.filter = opts.filter ?? ALL_ACCESSES;
    this.writes = new DeviceWrites(this.inventory);
    this.phase = firstPhase(opts.firstPhase ?? 'boot'); // boot: kernel 1's first phase
  }

  /** Unattributed writes (and untraced boots) so far: a byte known before the last one is stale. */
  get epochNow(): number {
    return this.epoch;
  }

  /** A device's role now (what target rules are checked with). */
  roleOf(dev: DeviceState): Role {
    return this.roles === null ? 'other' : this.roles.role(dev);
  }

  next(r: CaptureRecord): void {
    const counts = this.counts;
    if (r.t === 'access') {
      // countRecord's access case, inline: this runs for every access.
      counts.accesses++;
      if (r.op === 'r') counts.reads++; else counts.writes++;
      if (!r.known) counts.unknownAccesses++;
      this.layers.access(r.layer, r.op);
      const ev = this.access(r);
      if (ev !== null) this.emit(ev);
      return;
    }
    countRecord(counts, r);
    switch (r.t) {
      case 'stack': this.stacks.define(r.id, r.frames); this.sites[r.id] = undefined; break;
      case 'device':
        this.inventory.give(r);
        this.roles?.refresh();
        this.emit({ kind: 'device', device: r });
        break;
      case 'phase':
      case 'boot': // boot: a boot record starts a phase of its boot; a marker's phase stays in its boot
        if (entersUntraced(this.phase, r)) this.epoch++; // boot: an untraced handover may have changed any byte
        this.phase = phaseAfter(this.phase, r);
        this.emit({ kind: 'phase', phase: this.phase, record: r });
        break;
      case 'lost': this.emit({ kind: 'lost', record: r, phase: this.phase }); break;
      case 'skipped': this.emit({ kind: 'skipped', record: r }); break;
      case 'header': this.emit({ kind: 'header', header: r }); break;
      case 'source-count':
        if (r.key === 'ignored-console-lines') counts.ignoredLines += r.count;
        this.emit({ kind: 'source-count', record: r });
        break;
      case 'trailer': this.trailer = r.complete ? 'complete' : 'incomplete'; break;
      case 'nested': this.layers.nested(r.layer); break;
    }
  }

  /** Emits the end event. */
  complete(): void {
    this.emit({ kind: 'end', counts: this.counts, trailer: this.trailer, byLayer: this.layers.fold(), knownWrites: this.knownWrites });
  }

  private access(rec: AccessRecord): AccessEvent | null {
    let a = rec;
    if (!a.known || a.seg === null || a.bus === null || a.devfn === null || a.off === null) {
      if (a.op === 'w') this.epoch++;
      else if (!this.filter.reads) { this.index++; return null; }
      return this.event(a, null, null, 'other', null, null, ByteSource.Unknown, false);
    }
    // Only accesses without a value leave the device model alone: a read of that kind that makes
    // no event needs nothing else.
    if (a.val === null && a.op === 'r' && !this.filter.reads) { this.index++; return null; }
    let dev = this.last;
    if (dev === null || a.devfn !== this.lastDevfn || a.bus !== this.lastBus || a.seg !== this.lastSeg) {
      dev = this.last = this.inventory.state(a.seg, a.bus, a.devfn);
      this.lastSeg = a.seg;
      this.lastBus = a.bus;
      this.lastDevfn = a.devfn;
      // A device the stream names for the first time may be one the policy protects (by its
      // address) or the VF of a PF: its role is known before its first access is judged.
      if (this.roles !== null && this.inventory.size !== this.devicesSeen) {
        this.devicesSeen = this.inventory.size;
        this.roles.refresh();
      }
    }
    // The layout and old value as they are before this access (a later refresh would see this
    // access's bytes).
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
    // The register's name only where it is used: a known write's semantics and an event. An
    // access that makes no event (most reads) needs none; one that does is named by this layout.
    let loc: RegisterName | null = null;
    const before = this.before;
    dev.shadow.lookOld(off, a.size, this.epoch, before);
    const old = before.value;
    const oldFrom = before.from;
    const oldStale = before.stale;
    // Where a carried old value was seen (--previous-capture), before this access changes its bytes.
    const oldOrigin = oldFrom === ByteSource.Carried ? this.inventory.carried!.originOf(dev, off, a.size) : undefined;
    let busNumbers = false;
    if (a.op === 'w') {
      this.knownWrites++;
      if (a.val !== null) {
        loc = layout.name(off, a.size);
        this.writes.write(dev, layout, loc, a.val, mayCover, this.epoch);
        // Roles follow bus numbers: the inventory's change log says which devices to look at again.
        dev.shadowChanged();
      }
      // A write to a bridge's bus numbers moves the set of depended devices: judged by the roles
      // before it, it changes them for what follows.
      busNumbers = this.roles !== null && touchesBusNumbers(off, a.size) && mayBeBridge(dev.identity());
    } else if (a.val !== null) {
      // The previous kernel's ids at this address, read again: the same device, or not (then
      // what was carried is dropped). Only with --previous-capture.
      if (oldFrom === ByteSource.Carried && off < 4) this.inventory.carried!.idRead(dev, off, a.size, old!, a.val, a.line ?? null);
      // Identity and layout only change when a read brings bytes never seen before.
      const fresh = before.fresh && this.writes.firstSight(dev, off, a.size);
      dev.shadow.set(off, a.size, a.val, ByteSource.Read, this.epoch);
      dev.shadowChanged();
      if (fresh) {
        dev.touched();
        const found = dev.announce();
        if (found) {
          this.roles?.refresh();
          this.emit({ kind: 'device', device: found });
        }
      }
      // All a read means to the roles: the first sight of a bridge's bus range.
      busNumbers = old === null && this.roles !== null && touchesBusNumbers(off, a.size) && mayBeBridge(dev.identity());
    }
    if (a.op === 'r' && !this.filter.reads) {
      if (busNumbers) this.roles!.refresh();
      this.index++;
      return null;
    }
    const role = this.roles === null ? 'other' : this.roles.role(dev);
    if (busNumbers) this.roles!.refresh();
    if (a.op === 'w' && role === 'other' && !this.filter.otherWrites) {
      this.index++;
      return null;
    }
    return this.event(a, dev, dev.identity(), role, loc ?? layout.name(off, a.size), old, oldFrom, oldStale, oldOrigin);
  }

  private event(a: AccessRecord, dev: DeviceState | null, id: DeviceRecord | null, role: Role, loc: AccessEvent['loc'], old: number | null, oldFrom: ByteSource, oldStale: boolean, oldOrigin?: OldOrigin): AccessEvent {
    const frames = a.stack !== null ? this.stacks.get(a.stack) ?? null : null;
    return {
      kind: 'access', index: this.index++, access: a, device: dev, id, role, loc,
      bdf: dev === null ? null : dev.bdf, register: loc === null ? null : loc.name, mnemonic: loc === null ? null : loc.mnemonic ?? null,
      old, oldFrom, oldOrigin, oldStale, callSite: a.stack !== null ? this.siteOf(a.stack, frames) : null, stack: frames, phase: this.phase,
    };
  }

  private siteOf(id: number, frames: readonly string[] | null): string | null {
    let s = this.sites[id];
    if (s === undefined) {
      s = callSite(frames);
      this.sites[id] = s;
    }
    return s;
  }
}
