// sysfs reading: on the fixture copied from a real host (test/fixtures/sysfs/README.md), and on
// this machine's live /sys/bus/pci/devices checked against `lspci -D -nmm` (pciutils) as oracle
// (skipped with the reason on a machine without PCI devices).

import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configFromHex } from '../../src/model/config-hex.js';
import { readSysfsDevice, readSysfsDevices } from '../../src/identity/sysfs.js';
import { isCfgscopeError } from '../../src/model/errors.js';
import { liveDevices } from '../support/live-devices.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/sysfs/devices', import.meta.url));
const VNDR5_MSIX = [0x40, 0x50, 0x60, 0x70, 0x84].map((off) => ({ id: 9, off })).concat([{ id: 0x11, off: 0x98 }]);

describe('readSysfsDevices on the fixture', () => {
  it('reads all six functions with ids, class, driver and layout', async () => {
    const devs = await readSysfsDevices(FIXTURE);
    expect(devs.map((d) => d.bdf)).toEqual(['0000:00:00.0', '0000:00:01.0', '0000:00:02.0', '0000:00:03.0', '0000:00:04.0', '0000:00:05.0']);
    expect(devs[0]).toMatchObject({ t: 'device', from: 'sysfs', vendor: 0x8086, device: 0x0d57, subvendor: 0, subdevice: 0, class: 0x060000, headerType: 0, caps: [], ecaps: [] });
    expect(devs[0]!.driver).toBeUndefined();
    expect(devs[0]!.config).toHaveLength(2 * 4096);
    expect(devs[3]).toMatchObject({
      vendor: 0x1af4, device: 0x1041, subvendor: 0x1af4, subdevice: 0x1041, class: 0x020000,
      driver: 'virtio-pci', headerType: 0, caps: VNDR5_MSIX, ecaps: [],
    });
    expect(devs[1]!.class).toBe(0xffff00);
  });

  it('keeps config bytes in the capture\'s hex form', async () => {
    const d = await readSysfsDevice(join(FIXTURE, '0000:00:02.0'));
    expect(d.config).toMatch(/^f41a4210/); // vendor 1af4, device 1042, little-endian
    const bytes = configFromHex(d.config!);
    expect(bytes).toHaveLength(256);
    expect(bytes[0x34]).toBe(0x40);
  });

  it('a short config read (no root: 64 bytes) gives ids and hex but no capability lists', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfgscope-sysfs-'));
    try {
      cpSync(join(FIXTURE, '0000:00:03.0'), join(dir, '0000:00:03.0'), { recursive: true, verbatimSymlinks: true });
      truncateSync(join(dir, '0000:00:03.0', 'config'), 64);
      const [d] = await readSysfsDevices(dir);
      expect(d).toMatchObject({ vendor: 0x1af4, device: 0x1041, headerType: 0 });
      expect(d!.config).toHaveLength(128);
      expect(d!.caps).toBeUndefined();
      // the copied symlink dangles here: the name is still read from the link itself
      expect(d!.driver).toBe('virtio-pci');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a missing root is an error with a code', async () => {
    const err = await readSysfsDevices('/nonexistent/cfgscope').catch((e: unknown) => e);
    expect(isCfgscopeError(err) && err.code).toBe('SYSFS_UNREADABLE');
  });
});

interface LspciDev { bdf: string; cls: number; vendor: number; device: number; subvendor?: number; subdevice?: number }

/** `lspci -D -nmm`: `0000:00:01.0 "ffff" "1af4" "1045" -r01 -p00 "1af4" "1045"`. */
function lspci(): LspciDev[] {
  let out: string;
  try {
    out = execFileSync('lspci', ['-D', '-nmm'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (e) {
    throw new Error(`lspci failed (${(e as Error).message}): the sysfs oracle needs pciutils; run \`apt-get install pciutils\``);
  }
  return out.trim().split('\n').filter(Boolean).map((line) => {
    const m = /^(\S+) "([0-9a-f]{4})" "([0-9a-f]{4})" "([0-9a-f]{4})"(?: -r\S+)?(?: -p\S+)? "([0-9a-f]*)" "([0-9a-f]*)"/.exec(line);
    if (!m) throw new Error(`unexpected lspci -nmm line: ${line}`);
    const d: LspciDev = { bdf: m[1]!, cls: parseInt(m[2]!, 16), vendor: parseInt(m[3]!, 16), device: parseInt(m[4]!, 16) };
    if (m[5]) d.subvendor = parseInt(m[5], 16);
    if (m[6]) d.subdevice = parseInt(m[6], 16);
    return d;
  });
}

describe('readSysfsDevices on this machine', async () => {
  // No devices, nothing to compare: said as a skip, not passed.
  const live = await liveDevices();

  it('finds the functions lspci finds, with the same ids', (ctx) => {
    if (live.none !== null) ctx.skip(live.none);
    const expected = lspci();
    const devs = live.devices;
    expect(devs.map((d) => d.bdf)).toEqual(expected.map((d) => d.bdf));
    for (const [i, e] of expected.entries()) {
      const d = devs[i]!;
      expect({ vendor: d.vendor, device: d.device, cls: d.class! >> 8 }, d.bdf).toEqual({ vendor: e.vendor, device: e.device, cls: e.cls });
      // lspci leaves the subsystem out when it is 0000:0000 (the host bridge here)
      if (e.subvendor !== undefined) expect([d.subvendor, d.subdevice], d.bdf).toEqual([e.subvendor, e.subdevice]);
      expect(d.config!.length).toBeGreaterThanOrEqual(128);
    }
  });

  it('reads the drivers lspci -k reports', (ctx) => {
    if (live.none !== null) ctx.skip(live.none);
    const out = execFileSync('lspci', ['-D', '-n', '-k'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const drivers = new Map<string, string>();
    let bdf = '';
    for (const line of out.split('\n')) {
      if (/^\S/.test(line)) bdf = line.split(' ')[0]!;
      const m = /^\s+Kernel driver in use: (\S+)/.exec(line);
      if (m) drivers.set(bdf, m[1]!);
    }
    for (const d of live.devices) expect(d.driver, d.bdf).toBe(drivers.get(d.bdf));
  });
});
