// This machine's PCI devices, for the tests that check cfgscope against lspci and setpci on them.
// A machine without any (a container, a VM without PCI) has nothing to check: those tests are
// skipped with this reason, never passed on zero devices. CFGSCOPE_TEST_SYSFS=<dir> points them at
// another devices folder (test/cli/zero-device-skips.test.ts gives an empty one).
import { existsSync } from 'node:fs';
import type { DeviceRecord } from '../../src/model/records.js';
import { readSysfsDevices, SYSFS_PCI_DEVICES } from '../../src/identity/sysfs.js';

export const LIVE_SYSFS = process.env['CFGSCOPE_TEST_SYSFS'] ?? SYSFS_PCI_DEVICES;

export interface LiveDevices {
  devices: DeviceRecord[];
  /** Why there is nothing to check here, or null. */
  none: string | null;
}

export async function liveDevices(): Promise<LiveDevices> {
  if (!existsSync(LIVE_SYSFS)) return { devices: [], none: `no ${LIVE_SYSFS} on this machine (no PCI bus: a container or a VM without PCI?)` };
  const devices = await readSysfsDevices(LIVE_SYSFS);
  return { devices, none: devices.length === 0 ? `no PCI devices in ${LIVE_SYSFS} on this machine` : null };
}
