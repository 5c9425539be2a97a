// Device identity reconstructed from the trace itself: enumeration reads the vendor/device id at
// 0x00, the class at 0x08, the header type at 0x0e and walks the capability lists; a source that
// sees read values (QEMU's log, bpftrace's return probes) therefore carries each device's identity.

import type { DeviceRecord } from '../model/records.js';
import type { ShadowConfig } from '../model/shadow-config.js';
import { walkCapabilities } from './capabilities.js';

/** Identity fields readable from what the shadow knows; absent fields were never read. */
export function identityFromShadow(bdf: string, shadow: ShadowConfig): DeviceRecord {
  const rec: DeviceRecord = { t: 'device', bdf, from: 'trace' };
  const vendor = shadow.get(0x00, 2);
  // A function that is not there reads all-ones (the bus's error response; 0xffff is no vendor
  // id): none of its bytes is identity, so it has none, not a device [ffff:ffff].
  if (vendor === 0xffff) return rec;
  if (vendor !== null) rec.vendor = vendor;
  const device = shadow.get(0x02, 2);
  if (device !== null) rec.device = device;
  const cls = shadow.get(0x09, 3);
  if (cls !== null) rec.class = cls;
  const ht = shadow.get(0x0e, 1);
  if (ht !== null) rec.headerType = ht;
  if (ht !== null && (ht & 0x7f) === 0) {
    const sv = shadow.get(0x2c, 2);
    const sd = shadow.get(0x2e, 2);
    if (sv !== null) rec.subvendor = sv;
    if (sd !== null) rec.subdevice = sd;
  }
  // The shadow answers byte by byte: a copy of its 4 KiB per identity refresh cost more than the
  // walk itself for a device the trace read a few bytes of.
  const walk = walkCapabilities((off) => shadow.byte(off));
  if (walk.caps.length > 0) rec.caps = walk.caps;
  if (walk.ecaps.length > 0) rec.ecaps = walk.ecaps;
  return rec;
}
