// The bundled bpftrace probe against QEMU's own log of the same boot, per kernel of the lab
// (test/fixtures/bpftrace = 6.1, test/fixtures/bpftrace-6.12): in every driver phase, the reads and
// writes the probe printed for each device equal the config accesses QEMU saw on that device.
// Phases are cut at the marker reads (00:1f.3 at 0xf0+n), seen on both sides; the kernel side is
// taken in ns order (bpftrace prints per-CPU buffers as it drains them, not in time order).
import { describe, expect, it } from 'vitest';
import type { AccessRecord } from '../../src/model/records.js';
import { fixture, readRecords } from '../support/read-records.js';

type Counts = Map<string, { r: number; w: number }>;
// Both files name every access's target (0 with unknown target on import): bus/devfn/off are set.
const bdf = (a: AccessRecord): string =>
  `${a.bus!.toString(16).padStart(2, '0')}:${(a.devfn! >> 3).toString(16).padStart(2, '0')}.${a.devfn! & 7}`;
const marker = (a: AccessRecord): number | null =>
  a.op === 'r' && a.bus === 0 && a.devfn === 0xfb && a.size === 1 && a.off! >= 0xf0 && a.off! <= 0xf9 ? a.off! - 0xf0 : null;

/** `phase device` -> reads/writes, for the accesses between marker `from` and the next marker. */
function perPhase(acc: AccessRecord[]): Counts {
  const out: Counts = new Map();
  let phase: number | null = null;
  for (const a of acc) {
    const m = marker(a);
    if (m !== null) { phase = m; continue; }
    if (phase === null || phase > 5) continue; // after phase 6 ("stop") nothing is traced
    const k = `${phase} ${bdf(a)}`;
    const c = out.get(k) ?? { r: 0, w: 0 };
    c[a.op]++;
    out.set(k, c);
  }
  return out;
}

for (const [dir, kernel] of [['bpftrace', '6.1'], ['bpftrace-6.12', '6.12']] as const) {
  describe(`${kernel}: probe-phases.json against QEMU's log of the same boot`, async () => {
    const probe = (await readRecords(fixture(`${dir}/probe-phases.json`))).filter((r): r is AccessRecord => r.t === 'access');
    probe.sort((a, b) => a.ts! - b.ts!);
    const device = (await readRecords(fixture(`${dir}/qemu-trace.log`))).filter((r): r is AccessRecord => r.t === 'access');
    // QEMU logged all four runs of the boot; the json run is the second one starting at marker 0.
    const starts = device.flatMap((a, i) => (marker(a) === 0 ? [i] : []));
    expect(starts.length).toBe(2);
    const jsonRun = device.slice(starts[1]!, device.findIndex((a, i) => i > starts[1]! && marker(a) === 7));

    it('every phase and device: the probe\'s reads and writes equal QEMU\'s', () => {
      const k = perPhase(probe);
      const d = perPhase(jsonRun);
      expect(Object.fromEntries(k)).toEqual(Object.fromEntries(d));
      const writes = [...k.values()].reduce((n, c) => n + c.w, 0);
      expect(writes).toBeGreaterThan(70);
    });
  });
}
