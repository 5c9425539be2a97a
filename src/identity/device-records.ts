// Device records for a capture, from a second source of the same machine: a device-side trace
// (QEMU's log sees every read value, so it carries each device's identity and the config values
// the kernel inherited) or a live host's sysfs.

import { lastValueFrom, reduce } from 'rxjs';
import type { CaptureRecord, DeviceRecord } from '../model/records.js';
import { CfgscopeError } from '../model/errors.js';
import { recordsFromFile, resolveFormat } from '../sources/records-from-file.js';
import { HandoffSnapshot } from './handoff-snapshot.js';
import { Inventory } from './inventory.js';
import { readSysfsDevices } from './sysfs.js';

/** `sysfs`, `sysfs:/path/to/devices`, or a trace/capture file. */
export async function loadDeviceRecords(spec: string): Promise<DeviceRecord[]> {
  if (spec === 'sysfs' || spec.startsWith('sysfs:')) {
    const root = spec.length > 6 ? spec.slice(6) : '/sys/bus/pci/devices';
    return readSysfsDevices(root);
  }
  const format = await resolveFormat(spec);
  const snap = await lastValueFrom(recordsFromFile(spec, format).pipe(
    reduce((s: HandoffSnapshot, r: CaptureRecord) => { s.add(r); return s; }, new HandoffSnapshot(spec)),
  ));
  const devices = snap.devices();
  if (devices.length === 0) throw new CfgscopeError('DEVICES_NONE', 'no device identity could be read from this input', { file: spec });
  return devices;
}

/** An inventory that starts with the devices of every `--devices` source, in order. */
export async function inventoryFrom(specs: readonly string[]): Promise<Inventory> {
  const inventory = new Inventory();
  for (const spec of specs) for (const d of await loadDeviceRecords(spec)) inventory.give(d);
  return inventory;
}
