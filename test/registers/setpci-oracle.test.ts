// Register names checked against setpci itself: every header register `setpci --dumpregs` lists
// must get setpci's name and width for the header type it belongs to, and every capability id it
// knows must map to its name. If setpci is missing this fails (CI installs pciutils).

import { describe, expect, it } from 'vitest';
import { capName, ecapName, allStdCaps, allExtCaps } from '../../src/registers/cap-table.js';
import { compileLayout } from '../../src/registers/layout.js';
import { overlaps, parseDumpregs, runDumpregs, type DumpedReg } from './setpci-dumpregs.js';

const dump = parseDumpregs(runDumpregs());
const type0 = compileLayout({ headerType: 0 });
const type1 = compileLayout({ headerType: 0x81 }); // multi-function bit must not matter
const cardbus = compileLayout({ headerType: 2 });
const unknown = compileLayout({});

const notOverlapping = (regs: DumpedReg[], others: DumpedReg[]): DumpedReg[] =>
  regs.filter((r) => !others.some((o) => overlaps(r, o)));

describe('header names against setpci --dumpregs', () => {
  it('parses a plausible table', () => {
    expect(dump.type0.map((r) => r.name)).toContain('COMMAND');
    expect(dump.type1.map((r) => r.name)).toContain('BRIDGE_CONTROL');
    expect(dump.cardbus.every((r) => r.name.startsWith('CB_'))).toBe(true);
  });

  it.each(dump.type0)('type 0: $name', (r) => {
    expect(type0.name(r.off, r.width)).toMatchObject({ name: r.name, exact: true, rel: 0, space: 'header' });
  });

  it.each(dump.type1)('type 1: $name', (r) => {
    expect(type1.name(r.off, r.width)).toMatchObject({ name: r.name, exact: true });
  });

  // Type 0 names at offsets no bridge register overlaps are the bridge's too (0x00-0x17, 0x34, 0x3c/d).
  it.each(notOverlapping(dump.type0, dump.type1))('type 1 shares type 0 name $name', (r) => {
    expect(type1.name(r.off, r.width)).toMatchObject({ name: r.name, exact: true });
  });

  it.each(dump.cardbus)('CardBus: $name', (r) => {
    expect(cardbus.name(r.off, r.width)).toMatchObject({ name: r.name, exact: true });
  });

  it.each(notOverlapping(notOverlapping(dump.type0, dump.type1), dump.cardbus))('CardBus shares $name', (r) => {
    expect(cardbus.name(r.off, r.width)).toMatchObject({ name: r.name, exact: true });
  });

  it('CardBus bridge control is at 0x3e as on a bridge (pci_regs.h PCI_CB_BRIDGE_CONTROL)', () => {
    expect(cardbus.name(0x3e, 2)).toMatchObject({ name: 'BRIDGE_CONTROL', exact: true });
  });

  it.each(notOverlapping(dump.type0, dump.type1))('unknown header type still names $name', (r) => {
    expect(unknown.name(r.off, r.width)).toMatchObject({ name: r.name, exact: true });
  });

  it.each(dump.type0.filter((r) => dump.type1.some((o) => overlaps(r, o))))(
    'unknown header type does not guess at $name', (r) => {
      expect(unknown.name(r.off, r.width)).toMatchObject({ name: `0x${r.off.toString(16)}`, exact: false, space: 'unknown' });
    });
});

describe('capability names against setpci --dumpregs', () => {
  it('knows some capabilities', () => {
    expect(dump.caps.length).toBeGreaterThan(10);
    expect(dump.ecaps.length).toBeGreaterThan(20);
  });

  it.each(dump.caps)('CAP 0x$id -> $name', ({ id, name }) => {
    expect(capName(id)).toBe(name);
    expect(compileLayout({ headerType: 0, caps: [{ id, off: 0x40 }] }).name(0x42, 2).name).toBe(`${name}+0x2`);
  });

  it.each(dump.ecaps)('ECAP 0x$id -> $name', ({ id, name }) => {
    expect(ecapName(id)).toBe(name);
    expect(compileLayout({ headerType: 0, ecaps: [{ id, off: 0x100 }] }).name(0x104, 4).name).toBe(`${name}+0x4`);
  });

  it('claims no setpci name setpci does not have', () => {
    const known = new Set([...dump.caps, ...dump.ecaps].map((c) => c.name));
    for (const c of [...allStdCaps(), ...allExtCaps()]) {
      expect(known.has(c.def.name), c.def.name).toBe(c.def.setpci);
    }
  });
});
