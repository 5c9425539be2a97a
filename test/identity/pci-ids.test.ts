// pci.ids names from the database installed on this machine (Debian package pci.ids; CI installs
// it with pciutils), a small inline database for the format's corners, and a missing file.

import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PCI_IDS_PATHS, openPciIds, parsePciIds } from '../../src/identity/pci-ids.js';

describe('the installed pci.ids', () => {
  const ids = openPciIds();

  it('is found', () => {
    expect(DEFAULT_PCI_IDS_PATHS.some((p) => existsSync(p)), 'install the pci.ids package (apt-get install pci.ids)').toBe(true);
    expect(ids.available).toBe(true);
  });

  it('names vendors, devices and subsystems', () => {
    expect(ids.vendor(0x8086)).toBe('Intel Corporation');
    expect(ids.vendor(0x1b36)).toBe('Red Hat, Inc.');
    expect(ids.device(0x1b36, 0x0010)).toBe('QEMU NVM Express Controller');
    expect(ids.device(0x1b36, 0x000c)).toBe('QEMU PCIe Root port');
    expect(ids.subsystem(0x1b36, 0x0100, 0x1af4, 0x1100)).toBe('QEMU Virtual Machine');
  });

  it('names classes, subclasses and programming interfaces', () => {
    expect(ids.baseClassName(0x01)).toBe('Mass storage controller');
    expect(ids.subclassName(0x01, 0x08)).toBe('Non-Volatile memory controller');
    expect(ids.progIfName(0x01, 0x08, 0x02)).toBe('NVM Express');
    expect(ids.className(0x010802)).toBe('Non-Volatile memory controller');
    expect(ids.className(0x020000)).toBe('Ethernet controller');
    expect(ids.className(0x060400)).toBe('PCI bridge');
  });

  it('answers undefined for ids it does not know', () => {
    expect(ids.vendor(0x0002)).toBeUndefined();
    expect(ids.device(0x8086, 0xfffe)).toBeUndefined();
    expect(ids.progIfName(0x01, 0x08, 0x7f)).toBeUndefined();
  });

  it('finds the installed database by default, as the CLI opens it', () => {
    const names = openPciIds();
    expect(names.available).toBe(true);
    expect(names.device(0x1af4, 0x1041)).toBe('Virtio 1.0 network device');
  });
});

describe('a missing database', () => {
  it('is unavailable, and every lookup answers undefined', async () => {
    const ids = openPciIds({ paths: ['/nonexistent/pci.ids'] });
    expect(ids.available).toBe(false);
    expect(ids.path).toBeUndefined();
    expect(ids.vendor(0x8086)).toBeUndefined();
    expect(ids.className(0x010802)).toBeUndefined();
    expect(openPciIds({ paths: [] }).available).toBe(false);
  });
});

describe('the format', () => {
  const t = parsePciIds([
    '# comment',
    '1234  Acme',
    '\t0001  Widget',
    '\t\t5678 0002  Widget Pro',
    '\t# indented comment',
    'C 0c  Serial bus controller',
    '\t03  USB controller',
    '\t\t30  XHCI',
    '',
  ].join('\n'));

  it('nests devices under vendors and prog-ifs under subclasses', () => {
    expect(t.vendors.get(0x1234)?.children.get(1)?.children.get(0x56780002)).toBe('Widget Pro');
    expect(t.classes.get(0x0c)?.children.get(0x03)?.children.get(0x30)).toBe('XHCI');
    expect(t.vendors.has(0x0c)).toBe(false);
  });
});
