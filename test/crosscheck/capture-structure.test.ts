// The structure `npm run lab` compares between a fresh run and the committed captures
// (test/lab/compare-structure.mjs): devices, phases, writes per device per phase.
import { describe, expect, it } from 'vitest';
import { captureStructure, compareStructure } from '../../src/crosscheck/capture-structure.js';
import type { CaptureRecord } from '../../src/model/records.js';
import { readRecords } from '../support/read-records.js';

const root = new URL('../../', import.meta.url).pathname;
const read = (f: string) => readRecords(root + f);

describe('capture structure', async () => {
  const resets = await read('replays/lab-resets/kernel.capture.ndjson');
  const sriov = await read('replays/lab-sriov/kernel.capture.ndjson');

  it('of a real run: its devices, phases in order and writes per phase and device', () => {
    const s = captureStructure(resets);
    expect(s.phases).toEqual(['boot-complete', 'insmod e1000e', 'insmod nvme', 'insmod virtio', 'reset flr', 'reset pm', 'reset bus', 'dump']
      .map((p, i) => `PHASE[${i}] ${p} (stage 1)`));
    expect(s.devices).toContain('0000:02:00.0');
    expect(Object.fromEntries(s.writes.get('PHASE[2] insmod nvme (stage 1)')!)).toEqual({ '0000:02:00.0': 8 });
  });

  it('agrees with itself, and with the same run imported again from its raw logs', async () => {
    expect(compareStructure(captureStructure(resets), captureStructure(resets))).toEqual([]);
    const again = await read('test/fixtures/lab-resets/serial.log');
    // Without --attribute the early writes (before the first phase) have no target; every phase
    // after it is the same.
    const diff = compareStructure(captureStructure(resets), captureStructure(again));
    expect(diff).toContain('writes in "(start)" to (unknown target): committed 0, fresh 282');
    expect(diff.filter((l) => !l.startsWith('writes in "(start)" to '))).toEqual([]);
  });

  it('tells two different real runs apart, one readable line per difference', () => {
    const diff = compareStructure(captureStructure(resets), captureStructure(sriov));
    expect(diff).toContain('phases differ:');
    expect(diff).toContain('  ! #4: committed "PHASE[4] reset flr (stage 1)", fresh "PHASE[4] sriov_numvfs=1 (stage 1)"');
    expect(diff).toContain('  ! #7: committed "PHASE[7] dump (stage 1)", fresh "(none)"');
    expect(diff.some((l) => /^devices only in the fresh capture: .*0000:02:00\.1/.test(l))).toBe(true);
  });

  it('reports a write missing from one phase (EDITED copy: the FLR phase loses one write)', () => {
    let dropped = false;
    const edited = resets.filter((r: CaptureRecord) => {
      if (dropped || r.t !== 'access' || r.op !== 'w' || r.bus !== 2 || r.off !== 0x88) return true;
      dropped = true;
      return false;
    });
    expect(dropped).toBe(true);
    expect(compareStructure(captureStructure(resets), captureStructure(edited))).toEqual(['writes in "PHASE[4] reset flr (stage 1)" to 0000:02:00.0: committed 21, fresh 20']);
  });
});
