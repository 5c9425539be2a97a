// ShadowConfig.lookOld (the pipeline's one-pass question) against get, sourceOf and isStale, on a
// real device's shadow: the q35 machine's nvme as the capture's device record gives it, then the
// capture's own accesses to it applied in order, with an unattributed write in between.
import { describe, expect, it } from 'vitest';
import type { AccessRecord, DeviceRecord } from '../../src/model/records.js';
import { ByteSource, CONFIG_SIZE, ShadowConfig, type OldValue } from '../../src/model/shadow-config.js';
import { readRecords } from '../support/read-records.js';

const CAPTURE = new URL('../../replays/qemu-6.1-q35-basic/kernel.capture.ndjson', import.meta.url).pathname;

function expectSameAnswers(sh: ShadowConfig, epoch: number): void {
  const out: OldValue = { value: null, from: ByteSource.Unknown, stale: false, fresh: false };
  // Differences collected and compared once: 12k ranges x 4 answers as separate expect() calls
  // took seconds on a loaded machine.
  const differ: string[] = [];
  for (const size of [1, 2, 4]) {
    // Past the end too: the answers there are the three methods' own.
    for (let off = 0; off < CONFIG_SIZE + 2; off++) {
      sh.lookOld(off, size, epoch, out);
      const value = sh.get(off, size);
      const want = {
        value, from: value === null ? ByteSource.Unknown : sh.sourceOf(off, size),
        stale: value !== null && sh.isStale(off, size, epoch), fresh: sh.sourceOf(off, size) === ByteSource.Unknown,
      };
      if (out.value !== want.value || out.from !== want.from || out.stale !== want.stale || out.fresh !== want.fresh) {
        differ.push(`${off}/${size}: ${JSON.stringify(out)} != ${JSON.stringify(want)}`);
      }
    }
  }
  expect(differ).toEqual([]);
}

describe('ShadowConfig.lookOld', async () => {
  const records = await readRecords(CAPTURE);
  const nvme = records.find((r): r is DeviceRecord => r.t === 'device' && r.bdf === '0000:02:00.0')!;
  const accesses = records.filter((r): r is AccessRecord => r.t === 'access' && r.known && r.bus === 2 && r.devfn === 0 && r.val !== null);

  it('answers as get, sourceOf and isStale do, before and after the trace changes the shadow', () => {
    expect(nvme.config).toBeDefined();
    expect(accesses.length).toBeGreaterThan(10);
    const sh = new ShadowConfig();
    expectSameAnswers(sh, 0);
    sh.loadHex(nvme.config!);
    expectSameAnswers(sh, 0);
    const half = accesses.length >> 1;
    accesses.slice(0, half).forEach((a) => sh.set(a.off!, a.size, a.val!, a.op === 'r' ? ByteSource.Read : ByteSource.Written, 0));
    // One unattributed write later: bytes known before it are stale, those set after are not.
    accesses.slice(half).forEach((a) => sh.set(a.off!, a.size, a.val!, a.op === 'r' ? ByteSource.Read : ByteSource.Written, 1));
    expectSameAnswers(sh, 1);
  }, 60_000);
});

/** The flat model the sparse shadow replaced: three 4096-entry arrays, one entry per byte. */
class FlatShadow {
  readonly bytes = new Uint8Array(CONFIG_SIZE);
  readonly source = new Uint8Array(CONFIG_SIZE);
  readonly epoch = new Uint32Array(CONFIG_SIZE);
  set(off: number, size: number, value: number, how: ByteSource, epoch: number): void {
    for (let i = 0; i < size && off + i < CONFIG_SIZE; i++) {
      this.bytes[off + i] = Math.floor(value / 256 ** i) & 0xff;
      this.source[off + i] = how;
      this.epoch[off + i] = epoch;
    }
  }
  forget(off: number, size: number): void {
    for (let i = 0; i < size && off + i < CONFIG_SIZE; i++) this.source[off + i] = ByteSource.Unknown;
  }
}

describe('ShadowConfig (sparse pages)', () => {
  it('answers as a flat byte array would, across page edges, past the end and with stale bytes (set and forget)', () => {
    const sh = new ShadowConfig();
    const flat = new FlatShadow();
    // A fixed walk over config space: aligned and unaligned, inside pages and across their
    // 64-byte edges, with the unattributed-write count rising part-way.
    let x = 12345;
    const next = (n: number): number => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return x % n;
    };
    for (let k = 0; k < 3000; k++) {
      const size = [1, 2, 4][next(3)]!;
      const off = next(8) === 0 ? 64 * next(64) - next(3) - 1 : next(CONFIG_SIZE);
      if (off < 0 || off >= CONFIG_SIZE) continue;
      const epoch = k < 1500 ? 0 : 1 + (k >> 9);
      const how = [ByteSource.Snapshot, ByteSource.Read, ByteSource.Written][next(3)]!;
      const value = next(2 ** 31) * 2 + next(2);
      if (next(8) === 0) {
        sh.forget(off, size);
        flat.forget(off, size);
      } else {
        sh.set(off, size, value, how, epoch);
        flat.set(off, size, value, how, epoch);
      }
    }
    const differ: string[] = [];
    for (let off = 0; off < CONFIG_SIZE; off++) {
      const want = flat.source[off] === ByteSource.Unknown ? undefined : flat.bytes[off];
      if (sh.byte(off) !== want) differ.push(`byte ${off}`);
    }
    for (const epoch of [0, 2, 9]) {
      for (const size of [1, 2, 4]) {
        for (let off = 0; off < CONFIG_SIZE; off++) {
          const bytes = [...Array(size).keys()].map((i) => off + i);
          const known = bytes.every((b) => b < CONFIG_SIZE && flat.source[b] !== ByteSource.Unknown);
          const want = known ? bytes.reduce((v, b, i) => v + flat.bytes[b]! * 256 ** i, 0) : null;
          if (sh.get(off, size) !== want) differ.push(`get ${off}/${size}`);
          if (known && sh.isStale(off, size, epoch) !== bytes.some((b) => flat.epoch[b]! < epoch)) differ.push(`isStale ${off}/${size}@${epoch}`);
        }
      }
      expectSameAnswers(sh, epoch);
    }
    expect(differ).toEqual([]);
  }, 60_000);

  it('keeps a device the trace read a few registers of small (memory grows with what was touched)', () => {
    const before = process.memoryUsage();
    const kept: ShadowConfig[] = [];
    // Vendor/device, class and header type: what a scan of a topology reads of each function.
    for (let d = 0; d < 20_000; d++) {
      const sh = new ShadowConfig();
      sh.set(0x00, 4, 0x10d38086, ByteSource.Read);
      sh.set(0x08, 4, 0x02000000, ByteSource.Read);
      sh.set(0x0c, 4, 0x00000010, ByteSource.Read);
      kept.push(sh);
    }
    const after = process.memoryUsage();
    const grown = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
    // 20k flat shadows held 24 KiB each (480 MB); sparse ones about 0.4 KiB. Garbage made meanwhile
    // only adds: the bound is the measured size with a wide margin.
    expect(grown / kept.length).toBeLessThan(2048);
    expect(kept[19_999]!.get(0, 2)).toBe(0x8086);
  });
});

describe('forget', () => {
  it('makes known bytes unknown again, and leaves bytes of pages never made unknown', () => {
    const sh = new ShadowConfig();
    sh.set(0x10, 4, 0xfe200000, ByteSource.Written);
    sh.forget(0x10, 2);
    expect(sh.get(0x10, 4)).toBeNull();
    expect(sh.get(0x12, 2)).toBe(0xfe20);
    expect(sh.sourceOf(0x10, 1)).toBe(ByteSource.Unknown);
    sh.forget(0x800, 4);
    expect(sh.get(0x800, 1)).toBeNull();
    expect(sh.sourceOf(0x800, 4)).toBe(ByteSource.Unknown);
  });
});
