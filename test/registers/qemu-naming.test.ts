// Naming and bit fields on real devices: the layouts of qemu-layouts.ts (from QEMU's log of a real
// boot) and the offsets and values the kernel wrote there. Each value is checked to be in the log
// at the cited line first, so the test cannot drift from its fixture.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { afterWrite, describeFields, diffFields, rw1cMask } from '../../src/registers/fields.js';
import { compileLayout } from '../../src/registers/layout.js';
import { E1000E_01, NVME_02, ROOT_PORT_03 } from './qemu-layouts.js';

const LOG = new URL('../fixtures/qemu-6.1-q35-basic/qemu-trace.log', import.meta.url);
const lines = readFileSync(LOG, 'utf8').split('\n');
const logLine = (n: number): string => lines[n - 1] ?? '';

const rp = compileLayout(ROOT_PORT_03);
const nvme = compileLayout(NVME_02);
const nic = compileLayout(E1000E_01);

describe('names of the offsets the kernel wrote', () => {
  it.each([
    // root port 00:03.0 (bridge)
    [rp, 0x04, 2, 'COMMAND', 'COMMAND', true],
    [rp, 0x19, 1, 'SECONDARY_BUS', 'SECONDARY_BUS', true],
    [rp, 0x3e, 2, 'BRIDGE_CONTROL', 'BRIDGE_CONTROL', true],
    [rp, 0x38, 4, 'BRIDGE_ROM_ADDRESS', 'ROM_ADDRESS1', true],
    [rp, 0x4a, 2, 'CAP_MSIX+0x2', 'FLAGS', true],
    [rp, 0x5c, 2, 'CAP_EXP+0x8', 'DEVCTL', true],
    [rp, 0x5e, 2, 'CAP_EXP+0xa', 'DEVSTA', true],
    [rp, 0x64, 2, 'CAP_EXP+0x10', 'LNKCTL', true],
    [rp, 0x66, 2, 'CAP_EXP+0x12', 'LNKSTA', true],
    [rp, 0x6c, 2, 'CAP_EXP+0x18', 'SLTCTL', true],
    [rp, 0x70, 2, 'CAP_EXP+0x1c', 'RTCTL', true],
    [rp, 0x74, 4, 'CAP_EXP+0x20', 'RTSTA', true],
    [rp, 0x7c, 2, 'CAP_EXP+0x28', 'DEVCTL2', true],
    [rp, 0x104, 4, 'ECAP_AER+0x4', 'UNCOR_STATUS', true],
    [rp, 0x110, 4, 'ECAP_AER+0x10', 'COR_STATUS', true],
    [rp, 0x12c, 4, 'ECAP_AER+0x2c', 'ROOT_COMMAND', true],
    [rp, 0x130, 4, 'ECAP_AER+0x30', 'ROOT_STATUS', true],
    [rp, 0x14e, 2, 'ECAP_ACS+0x6', 'CTRL', true],
    // pci_setup_bridge_io writes IO_BASE and IO_LIMIT as one word: one name, not exact
    [rp, 0x1c, 2, 'IO_BASE', 'IO_BASE', false],
    // nvme 02:00.0
    [nvme, 0x0d, 1, 'LATENCY_TIMER', 'LATENCY_TIMER', true],
    [nvme, 0x1c, 4, 'BASE_ADDRESS_3', 'BASE_ADDRESS_3', true],
    [nvme, 0x42, 2, 'CAP_MSIX+0x2', 'FLAGS', true],
    [nvme, 0x64, 2, 'CAP_PM+0x4', 'CTRL', true],
    [nvme, 0x88, 2, 'CAP_EXP+0x8', 'DEVCTL', true],
    [nvme, 0x90, 2, 'CAP_EXP+0x10', 'LNKCTL', true],
    // e1000e 01:00.0
    [nic, 0xa2, 2, 'CAP_MSIX+0x2', 'FLAGS', true],
    [nic, 0xcc, 2, 'CAP_PM+0x4', 'CTRL', true],
    [nic, 0xd2, 2, 'CAP_MSI+0x2', 'FLAGS', true],
    [nic, 0xd8, 4, 'CAP_MSI+0x8', 'ADDRESS_HI', true],
    [nic, 0xd8, 2, 'CAP_MSI+0x8', 'DATA_32', true],
    [nic, 0xe8, 2, 'CAP_EXP+0x8', 'DEVCTL', true],
    [nic, 0xf0, 2, 'CAP_EXP+0x10', 'LNKCTL', true],
    [nic, 0x104, 4, 'ECAP_AER+0x4', 'UNCOR_STATUS', true],
    [nic, 0x144, 4, 'ECAP_DSN+0x4', 'DSN_LO', true],
  ] as const)('%#: 0x%s/%i -> %s', (layout, off, size, name, mnemonic, exact) => {
    expect(layout.name(off, size)).toMatchObject({ name, mnemonic, exact, off, size });
  });

  it('names every offset the kernel wrote on these devices as something known', () => {
    const devs = { '00:03.0': rp, '02:00.0': nvme, '01:00.0': nic };
    let seen = 0;
    for (const l of lines.slice(659)) { // after the last fw_cfg_select (l.659): the kernel's accesses
      const m = /^pci_cfg_write \S+ (\S+) @0x([0-9a-f]+) <-/.exec(l);
      const layout = m ? devs[m[1] as keyof typeof devs] : undefined;
      if (!m || !layout) continue;
      seen++;
      expect(layout.name(parseInt(m[2]!, 16), 1).space, l).not.toBe('unknown');
    }
    expect(seen).toBeGreaterThan(100);
  });

  it('inexact accesses still get a useful name', () => {
    expect(nvme.name(0x12, 2)).toMatchObject({ name: 'BASE_ADDRESS_0+0x2', base: 'BASE_ADDRESS_0', rel: 2, exact: false, setpci: 'BASE_ADDRESS_0+0x2.w' });
    expect(rp.name(0x5c, 4)).toMatchObject({ name: 'CAP_EXP+0x8', mnemonic: 'DEVCTL', exact: false, setpci: 'CAP_EXP+0x8.l' });
    expect(rp.name(0x5d, 1)).toMatchObject({ name: 'CAP_EXP+0x9', mnemonic: 'DEVCTL', exact: false });
    expect(nvme.name(0x44, 1)).toMatchObject({ name: 'CAP_MSIX+0x4', mnemonic: 'TABLE', exact: false });
    // 0x4c-0x5f: after MSI-X's 12 bytes, before PM: nobody's register
    expect(nvme.name(0x50, 4)).toMatchObject({ name: '0x50', base: '', space: 'unknown', exact: false, setpci: '0x50.l' });
    expect(nic.name(0x150, 4)).toMatchObject({ name: '0x150', exact: false });
    // type 0 has nothing at 0x35-0x3b
    expect(nvme.name(0x38, 4)).toMatchObject({ name: '0x38', exact: false });
    expect(nvme.name(0x08, 4)).toMatchObject({ name: 'REVISION', mnemonic: 'REVISION_ID', exact: false, setpci: 'REVISION.l' });
  });

  it('returns the same frozen object for the same access', () => {
    expect(rp.name(0x5c, 2)).toBe(rp.name(0x5c, 2));
    expect(Object.isFrozen(rp.name(0x5c, 2))).toBe(true);
  });
});

describe('instances and unknown capabilities', () => {
  // This machine's virtio devices: five vendor capabilities, then MSI-X (lspci -v of 00:01.0).
  const virtio = compileLayout({
    headerType: 0,
    caps: [0x40, 0x50, 0x60, 0x70, 0x84].map((off) => ({ id: 0x09, off })).concat([{ id: 0x11, off: 0x98 }]),
  });

  it('numbers repeated capabilities from 0 and puts @n last, as setpci parses it', () => {
    expect(virtio.name(0x44, 2)).toMatchObject({ name: 'CAP_VNDR+0x4', instance: 0, setpci: 'CAP_VNDR+0x4.w' });
    expect(virtio.name(0x54, 2)).toMatchObject({ name: 'CAP_VNDR+0x4@1', base: 'CAP_VNDR', rel: 4, instance: 1, setpci: 'CAP_VNDR+0x4.w@1' });
    expect(virtio.name(0x88, 4)).toMatchObject({ name: 'CAP_VNDR+0x4@4' });
    expect(virtio.name(0x9a, 2)).toMatchObject({ name: 'CAP_MSIX+0x2', instance: 0, exact: true });
  });

  it('names capabilities setpci does not know in setpci\'s numeric form', () => {
    const odd = compileLayout({ headerType: 0, caps: [{ id: 0x15, off: 0x40 }], ecaps: [{ id: 0x2e, off: 0x100 }, { id: 0x7777, off: 0x200 }] });
    expect(odd.name(0x44, 4)).toMatchObject({ name: 'CAP0x15+0x4', base: 'CAP0x15', space: 'cap', exact: false });
    expect(odd.name(0x108, 4)).toMatchObject({ name: 'ECAP0x002e+0x8', mnemonic: 'CTRL', space: 'ecap', exact: true });
    expect(odd.name(0x204, 4)).toMatchObject({ name: 'ECAP0x7777+0x4', mnemonic: undefined });
  });
});

describe('bit fields on values from the log', () => {
  const at = (n: number, text: string): void => expect(logLine(n)).toBe(text);

  it('COMMAND on 01:00.0', () => {
    at(1516, 'pci_cfg_read e1000e 01:00.0 @0x4 -> 0x103');
    at(1517, 'pci_cfg_write e1000e 01:00.0 @0x4 <- 0x503');
    expect(diffFields('COMMAND', 0x103, 0x503).map((c) => c.text)).toEqual(['INTX_DISABLE 0->1']);
    at(1523, 'pci_cfg_write e1000e 01:00.0 @0x4 <- 0x100'); // BAR sizing: decode off
    expect(diffFields('COMMAND', 0x103, 0x100).map((c) => c.text)).toEqual(['IO 1->0', 'MEMORY 1->0']);
    at(2751, 'pci_cfg_read e1000e 01:00.0 @0x4 -> 0x507');
    at(2752, 'pci_cfg_write e1000e 01:00.0 @0x4 <- 0x107');
    expect(diffFields('COMMAND', 0x507, 0x107).map((c) => c.text)).toEqual(['INTX_DISABLE 1->0']);
    expect(describeFields('COMMAND', 0x107).map((f) => f.text)).toEqual(['IO', 'MEMORY', 'MASTER', 'SERR']);
  });

  it('MSI-X enable on 02:00.0 and 00:03.0', () => {
    at(2600, 'pci_cfg_read nvme 02:00.0 @0x42 -> 0x40');
    at(2601, 'pci_cfg_write nvme 02:00.0 @0x42 <- 0xc040');
    const reg = nvme.name(0x42, 2);
    expect(diffFields(reg, 0x40, 0xc040).map((c) => c.text)).toEqual(['MASKALL 0->1', 'ENABLE 0->1']);
    expect(describeFields(reg, 0xc040).map((f) => f.text)).toEqual(['QSIZE=64', 'MASKALL', 'ENABLE']);
    at(2304, 'pci_cfg_write pcie-root-port 00:03.0 @0x4a <- 0x8000');
    expect(diffFields('CAP_MSIX+0x2', 0xc000, 0x8000).map((c) => c.text)).toEqual(['MASKALL 1->0']);
  });

  it('PCIe control writes on 00:03.0', () => {
    at(931, 'pci_cfg_write pcie-root-port 00:03.0 @0x5c <- 0xf');
    expect(diffFields('CAP_EXP+0x8', 0, 0xf).map((c) => c.text)).toEqual(['CERE 0->1', 'NFERE 0->1', 'FERE 0->1', 'URRE 0->1']);
    at(1693, 'pci_cfg_write pcie-root-port 00:03.0 @0x64 <- 0x20');
    expect(diffFields('CAP_EXP+0x10', 0, 0x20).map((c) => c.text)).toEqual(['RL 0->1']);
    at(2326, 'pci_cfg_write pcie-root-port 00:03.0 @0x12c <- 0x7');
    expect(diffFields('ECAP_AER+0x2c', 0, 7).map((c) => c.text)).toEqual(['COR_EN 0->1', 'NONFATAL_EN 0->1', 'FATAL_EN 0->1']);
  });

  it('RW1C: the PME status clear on 00:03.0 clears, it does not set', () => {
    at(2310, 'pci_cfg_write pcie-root-port 00:03.0 @0x74 <- 0x10000');
    expect(rw1cMask('CAP_EXP+0x20')).toBe(0x10000);
    const [change] = diffFields('CAP_EXP+0x20', 0, 0x10000);
    expect(change).toMatchObject({ name: 'PME', rw1c: true });
    expect(afterWrite('CAP_EXP+0x20', 0x10000, 0x10000)).toBe(0);
    // DEVSTA with CED and URD pending; writing 1 to CED clears it and leaves URD alone
    expect(afterWrite('CAP_EXP+0xa', 0x0009, 0x0001)).toBe(0x0008);
  });
});
