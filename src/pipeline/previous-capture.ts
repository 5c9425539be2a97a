// `--previous-capture <capture>`: the old kernel's own capture (taken before kexec) gives the
// state a kexec capture's devices start from. On a real machine each kernel has its own capture,
// and the second one starts with the handover (the old kernel's shutdown, read from 6.12's
// persistent ring buffer) and a new kernel that has read nothing yet: without the old kernel's
// last known state every old value there is unknown.
//
// The previous capture runs through the same enricher (same register semantics: read-only bits,
// RW1C, BAR sizes, resets), and what its shadow config knows at its end is carried over, byte by
// byte, as `ByteSource.Carried`, with the line of the access that last set each byte. Carried:
// only devices whose vendor and device id that capture knows, only bytes known after its last
// unattributed write (a stale byte is not carried: never guessed). This capture's own evidence
// wins: its device records and `--devices` bytes are kept, and a device record or a read of the
// ids that names another device at the address drops what was carried there, with a notice
// (PREVIOUS_CAPTURE_MISMATCH). Seeding happens once, before the stream: the pipeline is the one
// enrich -> judge path, only its inventory starts fuller.

import { basename } from 'node:path';
import type { CarriedState, DeviceState, Inventory } from '../identity/inventory.js';
import type { OldOrigin } from '../model/events.js';
import type { DeviceRecord } from '../model/records.js';
import { ByteSource } from '../model/shadow-config.js';
import { recordsFromFile, resolveFormat } from '../sources/records-from-file.js';
import { Inventory as NewInventory } from '../identity/inventory.js';
import { Enricher } from './enricher.js';

/** One thing said about the carrying: a code and the sentence, with the device it concerns. */
export interface CarryNotice {
  code: 'PREVIOUS_CAPTURE_MISMATCH' | 'PREVIOUS_CAPTURE_NO_IDS';
  bdf: string;
  message: string;
}

interface CarriedDevice {
  id: DeviceRecord;
  /** Per carried byte offset, the raw-source line of the access that last set it (-1: none). */
  lines: Map<number, number>;
  dropped: boolean;
  /** This capture read the same ids, or a device record of it named them. */
  confirmed: boolean;
}

const ids = (v: number | undefined, d: number | undefined): string =>
  `${v === undefined ? '????' : v.toString(16).padStart(4, '0')}:${d === undefined ? '????' : d.toString(16).padStart(4, '0')}`;

export class PreviousState implements CarriedState {
  readonly notices: CarryNotice[] = [];
  private readonly devices = new Map<number, CarriedDevice>();
  /** Bytes carried, over all devices (before any was dropped). */
  bytes = 0;
  /** Bytes not carried because an unattributed write came after they were known. */
  staleBytes = 0;

  constructor(readonly capture: string, readonly source: string | null) {}

  /** Devices carried (not dropped). */
  get carriedDevices(): number {
    let n = 0;
    for (const d of this.devices.values()) if (!d.dropped) n++;
    return n;
  }

  /** Devices carried that this capture never identified (it read no ids of theirs). */
  unconfirmed(): string[] {
    return [...this.devices.values()].filter((d) => !d.dropped && !d.confirmed).map((d) => d.id.bdf);
  }

  add(key: number, id: DeviceRecord, lines: Map<number, number>): void {
    this.devices.set(key, { id, lines, dropped: false, confirmed: false });
  }

  /** Puts the carried state into `inv` (before the stream; `--devices` already given). */
  seed(inv: Inventory, states: ReadonlyMap<number, DeviceState>): void {
    for (const [key, c] of this.devices) {
      const from = states.get(key)!;
      const s = inv.state(from.seg, from.bus, from.devfn);
      const given = s.given;
      if (given && given.vendor !== undefined && given.device !== undefined && (given.vendor !== c.id.vendor || given.device !== c.id.device)) {
        this.mismatch(c, `--devices names ${ids(given.vendor, given.device)} there`);
        continue;
      }
      if (given) c.confirmed = given.vendor !== undefined;
      // This capture's own bytes (a --devices snapshot) are kept.
      from.shadow.forEachKnown((off, value) => {
        if (!c.lines.has(off) || s.shadow.byte(off) !== undefined) return;
        s.shadow.set(off, 1, value, ByteSource.Carried, 0);
      });
      s.give(c.id);
      // Told to the stream (a device event) once this capture's own reads bring news, as a
      // device the trace finds itself is.
      s.announced = given !== null;
      this.bytes += c.lines.size;
    }
    inv.carried = this;
  }

  originOf(dev: DeviceState, off: number, size: number): OldOrigin {
    const c = this.devices.get(dev.key);
    let line = -1;
    // The latest access of the previous capture that set one of the carried bytes of the range.
    for (let b = off; b < off + size; b++) {
      if (dev.shadow.sourceOf(b, 1) !== ByteSource.Carried) continue;
      line = Math.max(line, c?.lines.get(b) ?? -1);
    }
    return { capture: this.capture, source: this.source, line: line < 0 ? null : line };
  }

  named(dev: DeviceState, rec: DeviceRecord): void {
    const c = this.devices.get(dev.key);
    if (!c || c.dropped || rec.vendor === undefined || rec.device === undefined) return;
    if (rec.vendor === c.id.vendor && rec.device === c.id.device) { c.confirmed = true; return; }
    this.drop(dev, c, `this capture's device record names ${ids(rec.vendor, rec.device)} there`);
  }

  idRead(dev: DeviceState, off: number, size: number, was: number, now: number, line: number | null): void {
    const c = this.devices.get(dev.key);
    if (!c || c.dropped) return;
    if (was === now) { c.confirmed = true; return; }
    const hex = (v: number): string => `0x${v.toString(16).padStart(size * 2, '0')}`;
    this.drop(dev, c, `this capture read ${hex(now)} at offset ${off} (line ${line ?? '?'}) where the previous one had ${hex(was)}`);
  }

  private drop(dev: DeviceState, c: CarriedDevice, why: string): void {
    for (const b of c.lines.keys()) if (dev.shadow.sourceOf(b, 1) === ByteSource.Carried) dev.shadow.forget(b, 1);
    if (dev.given?.from === c.id.from) {
      dev.given = null;
      dev.announced = false;
    }
    dev.touched();
    this.mismatch(c, why);
  }

  private mismatch(c: CarriedDevice, why: string): void {
    c.dropped = true;
    this.notices.push({ code: 'PREVIOUS_CAPTURE_MISMATCH', bdf: c.id.bdf, message: `${c.id.bdf}: the previous capture's device is ${ids(c.id.vendor, c.id.device)}, but ${why}: its old values are not carried` });
  }
}

/**
 * Reads the previous kernel's capture through the enricher and keeps, per device whose ids it
 * knows, the bytes its shadow config knows at the end and the line that last set each.
 */
export async function loadPreviousCapture(file: string): Promise<{ state: PreviousState; devices: Map<number, DeviceState> }> {
  const format = await resolveFormat(file);
  const inv = new NewInventory();
  const lines = new Map<number, Map<number, number>>();
  let source: string | null = null;
  const enricher = new Enricher({ inventory: inv }, (e) => {
    if (e.kind === 'header') {
      const f = e.header.source?.file;
      source = typeof f === 'string' ? basename(f) : null;
      return;
    }
    if (e.kind !== 'access' || e.device === null || e.access.off === null || e.access.val === null) return;
    let m = lines.get(e.device.key);
    if (!m) lines.set(e.device.key, m = new Map());
    const line = e.access.line ?? -1;
    // A write also sets bytes outside its range (IO_BASE's nibble makes IO_BASE_UPPER16 read 0):
    // every byte that became known or changed is this access's. Read once, not per access of a run.
    if (e.access.op === 'w') {
      (e.device as DeviceState).shadow.forEachKnown((off, value) => {
        const was = m!.get(off);
        if (was === undefined || (was & 0xff) !== value) m!.set(off, line * 256 + value);
      });
    }
    for (let b = e.access.off; b < e.access.off + e.access.size; b++) {
      const v = (e.device as DeviceState).shadow.byte(b);
      if (v !== undefined) m.set(b, line * 256 + v);
    }
  });
  // Fed one record at a time: no events are kept, only the lines.
  await new Promise<void>((resolve, reject) => {
    recordsFromFile(file, format).subscribe({ next: (r) => enricher.next(r), error: reject, complete: () => { enricher.complete(); resolve(); } });
  });
  const state = new PreviousState(file, source);
  const epoch = enricher.epochNow;
  const devices = new Map<number, DeviceState>();
  for (const d of inv.all()) {
    const id = d.identity();
    if (id.vendor === undefined || id.device === undefined || id.vendor === 0xffff) {
      if (id.vendor !== 0xffff) state.notices.push({ code: 'PREVIOUS_CAPTURE_NO_IDS', bdf: d.bdf, message: `${d.bdf}: the previous capture never read its vendor and device id: its old values are not carried` });
      continue;
    }
    const seen = lines.get(d.key) ?? new Map<number, number>();
    const carried = new Map<number, number>();
    d.shadow.forEachKnown((off) => {
      if (d.shadow.isStale(off, 1, epoch)) { state.staleBytes++; return; }
      const at = seen.get(off);
      carried.set(off, at === undefined ? -1 : Math.floor(at / 256));
    });
    const { config: _config, ...rest } = id;
    state.add(d.key, { ...rest, from: `previous:${basename(file)}` }, carried);
    devices.set(d.key, d);
  }
  return { state, devices };
}

/** An inventory that starts with `base`'s devices (`--devices`) and the previous capture's state. */
export async function carryPrevious(base: Inventory, file: string): Promise<PreviousState> {
  const { state, devices } = await loadPreviousCapture(file);
  state.seed(base, devices);
  return state;
}
