// One line of device identity, lspci style: `0000:01:00.0 [8086:10d3] Ethernet controller: Intel
// Corporation 82574L Gigabit Network Connection (e1000e)`.

import { printable } from '../model/escape-text.js';
import type { DeviceRecord } from '../model/records.js';

/** Names from pci.ids; every lookup may return undefined (database absent or id unknown). */
export interface DeviceNamer {
  vendor(vendor: number): string | undefined;
  device(vendor: number, device: number): string | undefined;
  className(cls: number): string | undefined;
}

const h4 = (n: number): string => n.toString(16).padStart(4, '0');

export function describeDevice(d: DeviceRecord, names: DeviceNamer): string {
  const ids = d.vendor !== undefined && d.device !== undefined ? `[${h4(d.vendor)}:${h4(d.device)}]` : '[????:????]';
  const parts = [d.bdf, ids];
  const cls = d.class !== undefined ? names.className(d.class) ?? `class ${d.class.toString(16).padStart(6, '0')}` : undefined;
  const vendor = d.vendor !== undefined ? names.vendor(d.vendor) : undefined;
  const device = d.vendor !== undefined && d.device !== undefined ? names.device(d.vendor, d.device) : undefined;
  const what = [vendor, device].filter((x) => x !== undefined).join(' ');
  if (cls || what) parts.push(`${cls ? `${cls}: ` : ''}${what}`.trim());
  if (d.driver) parts.push(`(${d.driver})`);
  // The driver comes from the capture, the names from a pci.ids file: neither may carry a
  // control character or a newline onto the terminal.
  return printable(parts.join(' '));
}
