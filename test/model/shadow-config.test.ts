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
  for (const size of [1, 2, 4]) {
    // Past the end too: the answers there are the three methods' own.
    for (let off = 0; off < CONFIG_SIZE + 2; off++) {
      sh.lookOld(off, size, epoch, out);
      const value = sh.get(off, size);
      expect(out.value).toBe(value);
      expect(out.from).toBe(value === null ? ByteSource.Unknown : sh.sourceOf(off, size));
      expect(out.stale).toBe(value !== null && sh.isStale(off, size, epoch));
      expect(out.fresh).toBe(sh.sourceOf(off, size) === ByteSource.Unknown);
    }
  }
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
  });
});
