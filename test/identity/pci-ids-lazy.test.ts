// The lazy lookup (one block parsed per vendor or class asked for) against parsing the whole
// installed database: the same answer for every vendor, device, subsystem and class in it.

import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PCI_IDS_PATHS, openPciIds, parsePciIds } from '../../src/identity/pci-ids.js';

const path = DEFAULT_PCI_IDS_PATHS.find((p) => existsSync(p) && !p.endsWith('.gz'));

describe('openPciIds answers what the whole-file parse holds', () => {
  it('for every entry of the installed pci.ids, and for ids it lacks', () => {
    expect(path, 'install the pci.ids package').toBeDefined();
    const whole = parsePciIds(readFileSync(path!, 'utf8'));
    const ids = openPciIds({ paths: [path!] });
    let n = 0;
    for (const [v, top] of whole.vendors) {
      expect(ids.vendor(v)).toBe(top.name);
      for (const [d, mid] of top.children) {
        expect(ids.device(v, d)).toBe(mid.name);
        for (const [key, name] of mid.children) expect(ids.subsystem(v, d, Math.floor(key / 0x10000), key % 0x10000)).toBe(name);
        n++;
      }
    }
    for (const [base, cls] of whole.classes) {
      expect(ids.baseClassName(base)).toBe(cls.name);
      for (const [sub, mid] of cls.children) {
        expect(ids.subclassName(base, sub)).toBe(mid.name);
        for (const [pi, name] of mid.children) expect(ids.progIfName(base, sub, pi)).toBe(name);
      }
    }
    expect(n).toBeGreaterThan(10000);
    for (const v of [0x0000, 0x0001, 0xfffe]) if (!whole.vendors.has(v)) expect(ids.vendor(v)).toBeUndefined();
    expect(ids.device(0x8086, 0xfffe)).toBe(whole.vendors.get(0x8086)?.children.get(0xfffe)?.name);
  });
});
