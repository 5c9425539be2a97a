// The enricher names an access's register by the device's layout as it was before the access: a
// read that brings the bytes of a new capability is named without it; the next access there is
// named by the capability.
import { describe, expect, it } from 'vitest';
import { from, lastValueFrom, toArray } from 'rxjs';
import type { AccessRecord, CaptureRecord } from '../../src/model/records.js';
import { enrichAccesses } from '../../src/pipeline/enrich-accesses.js';

const read = (off: number, size: 1 | 2 | 4, val: number, line: number): AccessRecord => ({
  t: 'access', ts: null, cpu: null, pid: null, comm: null, op: 'r', seg: 0, bus: 1, devfn: 0, off, size, val,
  ret: null, layer: 'bus', fn: null, stack: null, known: true, line,
});

describe('enricher: register names', () => {
  it('names a read by the layout before it, and the next access by the layout after it', async () => {
    // Enumeration of QEMU's e1000e (8086:10d3, class 020000, header type 0) up to its first
    // capability, a PCI Express one at 0x40 (status bit 4 set, capability pointer 0x40); the
    // read of 0x40 is what makes the capability known.
    const records: CaptureRecord[] = [
      read(0x00, 4, 0x10d38086, 1), read(0x08, 4, 0x02000000, 2), read(0x0c, 4, 0, 3),
      read(0x04, 4, 0x00100000, 4), read(0x34, 1, 0x40, 5),
      read(0x40, 2, 0x0010, 6), read(0x40, 2, 0x0010, 7),
    ];
    const events = await lastValueFrom(from(records).pipe(enrichAccesses(), toArray()));
    const names = events.flatMap((e) => (e.kind === 'access' && e.access.off === 0x40 ? [e.register] : []));
    expect(names).toEqual(['0x40', 'CAP_EXP+0x0']);
  });
});
