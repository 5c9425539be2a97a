// What a device holds after a write (registers/write-semantics.ts), on the layouts of the lab's
// real devices: read-only, RW1C, self-clearing and RW1S bits, BAR sizing, window upper halves,
// resets; and the widths an unlogged access may have (registers/access-width.ts).
import { describe, expect, it } from 'vitest';
import { ByteSource, ShadowConfig } from '../../src/model/shadow-config.js';
import { layoutWidth, widestAt } from '../../src/registers/access-width.js';
import { compileLayout } from '../../src/registers/layout.js';
import { applyWrite, attributesOf, BarFloors, judgedAfter, unmovable } from '../../src/registers/write-semantics.js';

// lab-kexec's root port 0000:00:05.0 and e1000e 0000:01:00.0 (their device records).
const port = compileLayout({ headerType: 1, caps: [{ id: 16, off: 84 }, { id: 17, off: 72 }, { id: 13, off: 64 }], ecaps: [{ id: 1, off: 256, ver: 2 }] });
const e1000e = compileLayout({ headerType: 0, caps: [{ id: 1, off: 200 }, { id: 5, off: 208 }, { id: 16, off: 224 }, { id: 17, off: 160 }] });

function write(layout: typeof port, sh: ShadowConfig, off: number, size: number, val: number, floors?: BarFloors): void {
  const reg = layout.name(off, size);
  applyWrite(sh, layout, reg, attributesOf(reg, size, layout.headerKind), off, size, val, ByteSource.Written, 0, floors);
}
const known = (pairs: [number, number, number][]): ShadowConfig => {
  const sh = new ShadowConfig();
  for (const [off, size, val] of pairs) sh.set(off, size, val, ByteSource.Snapshot);
  return sh;
};

describe('applyWrite: the value the device holds', () => {
  it('keeps the read-only type nibble of PREF_MEMORY_BASE (0xfe61 written as 0xfe60 stays 0xfe61)', () => {
    const sh = known([[0x24, 2, 0xfe61]]);
    write(port, sh, 0x24, 2, 0xfe60);
    expect(sh.get(0x24, 2)).toBe(0xfe61);
  });

  it('a write that starts on a plain byte and runs into a BAR gets the BAR\'s read-only bits there, as one that starts at the BAR', () => {
    // Only an unaligned access does this (imported text, a raw tracer): BIST (no attributes) and
    // BAR0's low byte, whose bit 0 (memory space) is read-only. Up to cbead80 such a write was
    // stored as written, because its first register has no attributes: 0x10 read 0x01.
    const straddling = known([[0x0e, 1, 0], [0x10, 4, 0]]);
    write(e1000e, straddling, 0x0f, 2, 0x0100);
    const aligned = known([[0x0e, 1, 0], [0x10, 4, 0]]);
    write(e1000e, aligned, 0x10, 1, 0x01);
    expect([straddling.byte(0x0f), straddling.byte(0x10)]).toEqual([0x00, 0x00]);
    expect(aligned.byte(0x10)).toBe(0x00);
  });

  it('a read-only bit whose old value is unknown leaves its byte unknown, never the value written', () => {
    const sh = new ShadowConfig();
    write(port, sh, 0x24, 2, 0xfe60);
    expect([sh.byte(0x24), sh.byte(0x25)]).toEqual([undefined, 0xfe]);
  });

  it('Retrain Link reads back 0; the judge still sees the retrain the 1 started', () => {
    const sh = known([[84 + 0x10, 2, 0x0000]]);
    write(port, sh, 84 + 0x10, 2, 0x0020);
    expect(sh.get(84 + 0x10, 2)).toBe(0);
    const a = attributesOf(port.name(84 + 0x10, 2), 2, 'type1');
    expect(judgedAfter(a, 0, 0x20)).toBe(0x20);
    expect(unmovable(a, 0) & 0x20).toBe(0x20); // writing 0 there changes nothing, old value or not
  });

  it('RW1C: a PME status clear reads 0; a 0 written leaves the bit alone', () => {
    const sh = known([[84 + 0x20, 4, 0x00010000]]);
    write(port, sh, 84 + 0x20, 4, 0x00010000);
    expect(sh.get(84 + 0x20, 4)).toBe(0);
    const a = attributesOf('CAP_EXP+0x20');
    expect(judgedAfter(a, 0x00010000, 0)).toBe(0x00010000);
  });

  it('RW1S: a 1 sets, a 0 leaves the bit as it was', () => {
    const a = { ro: 0, rw1c: 0, rw1s: 0x1, sc: 0 };
    expect([judgedAfter(a, 0, 1), judgedAfter(a, 1, 0), judgedAfter(a, 0, 0)]).toEqual([1, 1, 0]);
  });

  it('Initiate FLR is self-clearing on an endpoint, Bridge Configuration Retry Enable (read-write) on a bridge', () => {
    expect(attributesOf('CAP_EXP+0x8', 2, 'type0').sc & 0x8000).toBe(0x8000);
    expect(attributesOf('CAP_EXP+0x8', 2, 'type1').sc & 0x8000).toBe(0);
  });

  it('BAR sizing: the bits below the BAR\'s size are unknown after all-ones; the restore is known again', () => {
    const sh = known([[0x10, 4, 0xfe200000]]);
    const floors = new BarFloors();
    write(e1000e, sh, 0x10, 4, 0xffffffff, floors);
    expect(sh.get(0x10, 4)).toBeNull();
    expect(sh.byte(0x13)).toBe(0xff);
    write(e1000e, sh, 0x10, 4, 0xfe200000, floors);
    expect(sh.get(0x10, 4)).toBe(0xfe200000);
  });

  it('an unimplemented BAR (reads 0): all-ones leaves it unknown, 0 written is 0', () => {
    const sh = known([[0x10, 4, 0xfe200000], [0x14, 4, 0xfe220000], [0x18, 4, 0]]);
    const floors = new BarFloors();
    write(e1000e, sh, 0x18, 4, 0xffffffff, floors);
    expect(sh.get(0x18, 4)).toBeNull();
    write(e1000e, sh, 0x18, 4, 0, floors);
    expect(sh.get(0x18, 4)).toBe(0);
  });

  it('IO_BASE_UPPER16 reads 0 on a bridge with 16-bit I/O (IO_BASE low nibble 0)', () => {
    const sh = known([[0x1c, 1, 0xd0]]);
    write(port, sh, 0x30, 2, 0xffff);
    expect(sh.get(0x30, 2)).toBe(0);
    const wide = known([[0x1c, 1, 0xd1]]);
    write(port, wide, 0x30, 2, 0xffff);
    expect(wide.get(0x30, 2)).toBe(0xffff);
  });

  it('Initiate FLR forgets what the reset changes, keeps the identification', () => {
    const sh = known([[0x0, 4, 0x10d38086], [0x4, 2, 0x0107], [224 + 0x8, 2, 0x0000]]);
    write(e1000e, sh, 224 + 0x8, 2, 0x8000);
    expect(sh.get(0x0, 4)).toBe(0x10d38086);
    expect(sh.get(0x4, 2)).toBeNull();
  });
});

describe('access widths of unlogged accesses', () => {
  it('is bounded by the offset\'s alignment', () => {
    expect([widestAt(0x10), widestAt(0xa2), widestAt(0x0d)]).toEqual([4, 2, 1]);
  });

  it('takes a width from the register layout only where a register of that width starts', () => {
    expect(layoutWidth(e1000e, 160 + 2, 1)).toBe(2); // MSI-X Message Control
    expect(layoutWidth(e1000e, 0x4, 1)).toBe(2); // COMMAND
    expect(layoutWidth(e1000e, 0x10, 1)).toBe(4); // BASE_ADDRESS_0
    expect(layoutWidth(e1000e, 0x0c, 1)).toBe(1); // CACHE_LINE_SIZE
    expect(layoutWidth(e1000e, 0x44, 1)).toBeUndefined(); // nothing known there
  });
});
