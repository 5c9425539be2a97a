// The capability walker on real config bytes (this machine's sysfs fixture, QEMU's log) and on
// the broken and partial inputs it must survive: loops, bad pointers, unknown bytes.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { walkCapabilities } from '../../src/identity/capabilities.js';

const FIXTURE = new URL('../fixtures/sysfs/devices/', import.meta.url);
const config = (bdf: string): Uint8Array => new Uint8Array(readFileSync(new URL(`${bdf}/config`, FIXTURE)));

/** A 256-byte type 0 config space with STATUS.CAP_LIST and the given [off, id, next] entries. */
function space(first: number, entries: [number, number, number][], size = 256): number[] {
  const b = new Array<number>(size).fill(0);
  b[0x06] = 0x10;
  b[0x34] = first;
  for (const [off, id, next] of entries) { b[off] = id; b[off + 1] = next; }
  return b;
}

describe('walkCapabilities on real bytes', () => {
  it('walks a virtio function: five vendor capabilities and MSI-X, no extended space', () => {
    const w = walkCapabilities(config('0000:00:01.0'), { spaceSize: 256 });
    expect(w.caps).toEqual([0x40, 0x50, 0x60, 0x70, 0x84].map((off) => ({ id: 9, off })).concat([{ id: 0x11, off: 0x98 }]));
    expect(w).toMatchObject({ ecaps: [], complete: true, stdComplete: true, extComplete: true, notes: [] });
  });

  it('walks the host bridge: no CAP_LIST, extended header 0', () => {
    const w = walkCapabilities(config('0000:00:00.0'));
    expect(w).toMatchObject({ caps: [], ecaps: [], complete: true });
  });

  it('walks the nvme and root port lists read back from QEMU\'s log', () => {
    // qemu-trace.log l.1735-1813: STATUS 0x10, 0x34 -> 0x40, 0x40 -> 0x8011, 0x80 -> 0x6010, 0x60 -> 0x1, 0x100 -> 0
    const nvme: (number | undefined)[] = new Array(0x104);
    Object.assign(nvme, { 0x06: 0x10, 0x34: 0x40, 0x40: 0x11, 0x41: 0x80, 0x80: 0x10, 0x81: 0x60, 0x60: 0x01, 0x61: 0x00, 0x100: 0, 0x101: 0, 0x102: 0, 0x103: 0 });
    expect(walkCapabilities(nvme)).toMatchObject({
      caps: [{ id: 0x11, off: 0x40 }, { id: 0x10, off: 0x80 }, { id: 0x01, off: 0x60 }], ecaps: [], complete: true,
    });
    // l.864-865: 0x100 -> 0x14820001 (AER v2 -> 0x148), 0x148 -> 0x1000d (ACS v1, end)
    const rp: (number | undefined)[] = new Array(0x14c);
    Object.assign(rp, { 0x06: 0x10, 0x0e: 0x01, 0x34: 0x54, 0x54: 0x10, 0x55: 0x48, 0x48: 0x11, 0x49: 0x40, 0x40: 0x0d, 0x41: 0 });
    [0x01, 0x00, 0x82, 0x14].forEach((b, i) => { rp[0x100 + i] = b; });
    [0x0d, 0x00, 0x01, 0x00].forEach((b, i) => { rp[0x148 + i] = b; });
    expect(walkCapabilities(rp)).toMatchObject({
      caps: [{ id: 0x10, off: 0x54 }, { id: 0x11, off: 0x48 }, { id: 0x0d, off: 0x40 }],
      ecaps: [{ id: 1, off: 0x100, ver: 2 }, { id: 0x0d, off: 0x148, ver: 1 }],
      complete: true,
    });
  });
});

describe('walkCapabilities on partial bytes', () => {
  it('a sysfs read without root (64 of 256 bytes): nothing walked, not complete', () => {
    const w = walkCapabilities(config('0000:00:02.0').subarray(0, 64), { spaceSize: 256 });
    expect(w).toMatchObject({ caps: [], stdComplete: false, extComplete: true, complete: false });
    expect(w.notes).toEqual([{ code: 'UNKNOWN_BYTES', off: 0x40 }]);
  });

  it('extended space size unknown and bytes missing: extended walk incomplete', () => {
    const w = walkCapabilities(space(0x40, [[0x40, 0x10, 0]]));
    expect(w).toMatchObject({ caps: [{ id: 0x10, off: 0x40 }], stdComplete: true, extComplete: false });
  });

  it('keeps walking past an entry whose id is unknown, and says so', () => {
    const b: (number | undefined)[] = space(0x40, [[0x40, 0x05, 0x50], [0x50, 0x10, 0]]);
    b[0x40] = undefined;
    const w = walkCapabilities(b, { spaceSize: 256 });
    expect(w.caps).toEqual([{ id: 0x10, off: 0x50 }]);
    expect(w).toMatchObject({ stdComplete: false, notes: [{ code: 'CAP_ID_UNKNOWN', off: 0x40 }] });
  });

  it('STATUS unknown: walks anyway, not complete', () => {
    const b: (number | undefined)[] = space(0x40, [[0x40, 0x01, 0]]);
    b[0x06] = undefined;
    expect(walkCapabilities(b, { spaceSize: 256 })).toMatchObject({ caps: [{ id: 1, off: 0x40 }], stdComplete: false });
  });
});

describe('walkCapabilities on broken lists', () => {
  it('no CAP_LIST in STATUS: no list even if 0x34 points somewhere', () => {
    const b = space(0x40, [[0x40, 0x10, 0]]);
    b[0x06] = 0;
    expect(walkCapabilities(b, { spaceSize: 256 })).toMatchObject({ caps: [], complete: true });
  });

  it('stops on a loop', () => {
    const w = walkCapabilities(space(0x40, [[0x40, 0x01, 0x50], [0x50, 0x05, 0x40]]), { spaceSize: 256 });
    expect(w.caps.map((c) => c.off)).toEqual([0x40, 0x50]);
    expect(w).toMatchObject({ complete: true, notes: [{ code: 'LOOP', off: 0x40 }] });
  });

  it('stops after 48 entries on a list that never ends', () => {
    const b = space(0x40, []);
    for (let off = 0x40; off < 0x100; off += 4) { b[off] = 0x09; b[off + 1] = off + 4 < 0x100 ? off + 4 : 0x40; }
    const w = walkCapabilities(b, { spaceSize: 256 });
    expect(w.caps).toHaveLength(48);
    expect(w.notes.map((n) => n.code)).toEqual(['LOOP']);
  });

  it('ends on a pointer into the header, masks the reserved low bits, stops on id 0xff', () => {
    expect(walkCapabilities(space(0x20, []), { spaceSize: 256 }).caps).toEqual([]);
    expect(walkCapabilities(space(0x43, [[0x40, 0x10, 0x51], [0x50, 0x11, 0]]), { spaceSize: 256 }).caps)
      .toEqual([{ id: 0x10, off: 0x40 }, { id: 0x11, off: 0x50 }]);
    const w = walkCapabilities(space(0x40, [[0x40, 0xff, 0xff]]), { spaceSize: 256 });
    expect(w).toMatchObject({ caps: [], notes: [{ code: 'BAD_ID', off: 0x40 }] });
  });

  it('extended list: all ones means none, loops and pointers below 0x100 end it', () => {
    const b = space(0, [], 4096);
    b[0x06] = 0;
    b.fill(0xff, 0x100, 0x104);
    expect(walkCapabilities(b)).toMatchObject({ ecaps: [], complete: true });
    const put = (off: number, v: number): void => { for (let i = 0; i < 4; i++) b[off + i] = Math.floor(v / 256 ** i) & 0xff; };
    put(0x100, (0x200 << 20) | (1 << 16) | 0x0001);
    put(0x200, (0x100 << 20) | (1 << 16) | 0x000d);
    const w = walkCapabilities(b);
    expect(w.ecaps).toEqual([{ id: 1, off: 0x100, ver: 1 }, { id: 0x0d, off: 0x200, ver: 1 }]);
    expect(w.notes).toEqual([{ code: 'LOOP', off: 0x100 }]);
    put(0x200, (0x0c0 << 20) | 0x0010);
    expect(walkCapabilities(b).ecaps.map((c) => c.id)).toEqual([1, 0x10]);
  });
});
