// Device identity from a live host's sysfs: /sys/bus/pci/devices/<bdf>/{vendor,device,
// subsystem_vendor,subsystem_device,class} (hex text, e.g. `0x8086`), the `driver` symlink
// (its target's last component is the driver name), and the binary `config` file. Without root
// the kernel lets `config` give only the first 64 bytes; its size (stat) still tells 256 or 4096,
// which the capability walk uses to tell "not readable" from "not there".

import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseBdf } from '../model/bdf.js';
import { CfgscopeError } from '../model/errors.js';
import type { DeviceRecord } from '../model/records.js';
import { walkCapabilities } from './capabilities.js';
import { configToHex } from '../model/config-hex.js';

export const SYSFS_PCI_DEVICES = '/sys/bus/pci/devices';

const isMissing = (e: unknown): boolean => {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EINVAL' || code === 'EACCES' || code === 'EPERM';
};

/** A sysfs hex attribute (`0x8086\n`), or undefined when absent or unreadable. */
async function hexAttr(dir: string, name: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, name), 'utf8');
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw e;
  }
  const v = parseInt(text.trim(), 16);
  if (Number.isNaN(v)) throw new CfgscopeError('SYSFS_BAD_ATTR', `not a hex number: ${JSON.stringify(text.trim())}`, { file: join(dir, name) });
  return v;
}

async function driverName(dir: string): Promise<string | undefined> {
  try {
    return basename(await readlink(join(dir, 'driver')));
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw e;
  }
}

async function configBytes(dir: string): Promise<{ bytes: Uint8Array; spaceSize: number | undefined } | undefined> {
  const file = join(dir, 'config');
  try {
    const [buf, st] = await Promise.all([readFile(file), stat(file)]);
    return { bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), spaceSize: st.size > 0 ? st.size : undefined };
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw e;
  }
}

/** One device directory (`<root>/0000:00:03.0`) as a device record. */
export async function readSysfsDevice(dir: string): Promise<DeviceRecord> {
  const rec: DeviceRecord = { t: 'device', bdf: basename(dir), from: 'sysfs' };
  const [vendor, device, subvendor, subdevice, cls, driver, config] = await Promise.all([
    hexAttr(dir, 'vendor'), hexAttr(dir, 'device'), hexAttr(dir, 'subsystem_vendor'),
    hexAttr(dir, 'subsystem_device'), hexAttr(dir, 'class'), driverName(dir), configBytes(dir),
  ]);
  if (vendor !== undefined) rec.vendor = vendor;
  if (device !== undefined) rec.device = device;
  if (subvendor !== undefined) rec.subvendor = subvendor;
  if (subdevice !== undefined) rec.subdevice = subdevice;
  if (cls !== undefined) rec.class = cls;
  if (driver !== undefined) rec.driver = driver;
  if (config && config.bytes.length > 0) {
    rec.config = configToHex(config.bytes);
    const ht = config.bytes[0x0e];
    if (ht !== undefined) rec.headerType = ht;
    const walk = walkCapabilities(config.bytes, config.spaceSize !== undefined ? { spaceSize: config.spaceSize } : {});
    // A list cut short by unreadable bytes is left out rather than passed off as the whole list.
    if (walk.stdComplete) rec.caps = walk.caps;
    if (walk.extComplete) rec.ecaps = walk.ecaps;
  }
  return rec;
}

/** Every PCI function under `root` (default /sys/bus/pci/devices), sorted by address. */
export async function readSysfsDevices(root: string = SYSFS_PCI_DEVICES): Promise<DeviceRecord[]> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch (e) {
    throw new CfgscopeError('SYSFS_UNREADABLE', `cannot list PCI devices: ${(e as Error).message}`, { file: root });
  }
  const bdfs = names.filter((n) => parseBdf(n) !== null).sort();
  return Promise.all(bdfs.map((n) => readSysfsDevice(join(root, n))));
}
