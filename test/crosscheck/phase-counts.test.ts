// The foundation's acceptance test: importing the real shared run, per-device write counts in every
// phase after boot equal QEMU's device-side counts of the same run.
import { describe, expect, it } from 'vitest';
import { findAnchors, splitByAnchors, writeCounts } from '../../src/crosscheck/phase-anchors.js';
import { fixture, readRecords } from '../support/read-records.js';

describe('kernel-side vs device-side writes per phase (qemu-6.1-q35-basic)', async () => {
  const kernel = await readRecords(fixture('qemu-6.1-q35-basic/serial.log'));
  const device = await readRecords(fixture('qemu-6.1-q35-basic/qemu-trace.log'));
  const anchors = findAnchors(kernel);
  const k = writeCounts(splitByAnchors(kernel, anchors, true));
  const d = writeCounts(splitByAnchors(device, anchors, false));

  it('finds one anchor read per phase marker: SMBus 00:1f.3 at 0xf0+n', () => {
    expect(anchors.map((a) => [a.bdf, a.off])).toEqual([0, 1, 2, 3, 4, 5, 6].map((n) => ['0000:00:1f.3', 0xf0 + n]));
  });

  it('matches per device in every phase after boot', () => {
    // The last phase starts at the dump marker: the trace is read out then, so the kernel side ends
    // there, while QEMU goes on to log the power-off shutdown writes (checked below).
    for (let phase = 1; phase < anchors.length; phase++) {
      expect({ phase, writes: Object.fromEntries(k.get(phase) ?? []) }).toEqual({ phase, writes: Object.fromEntries(d.get(phase) ?? []) });
    }
  });

  it('sees the shutdown after the dump on the device side only', () => {
    expect(k.get(anchors.length)).toBeUndefined();
    expect(Object.fromEntries(d.get(anchors.length) ?? [])).toEqual({
      '0000:00:03.0': 8, '0000:00:04.0': 8, '0000:00:05.0': 8, '0000:01:00.0': 3, '0000:02:00.0': 3,
    });
  });

  it('has driver-probe writes in the phases the lab documents (e1000e 5, nvme 8, remove+rescan 48)', () => {
    expect(k.get(2)?.get('0000:01:00.0')).toBe(5);
    expect(k.get(3)?.get('0000:02:00.0')).toBe(8);
    expect(k.get(5)?.get('0000:01:00.0')).toBe(48);
  });
});
