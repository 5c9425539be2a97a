// enrichAndCheck against the two operators it fuses, on every kernel-side capture in replays/
// (real boots, probe runs, kexec, resets, SR-IOV): the same events, in the same order, with the
// same contents (findings, targets, unattributed writes, totals, the end event's counts). Those
// captures have plenty of reads without a value and of writes to unprotected devices, which the
// fused path handles without events.
import { describe, expect, it } from 'vitest';
import { from, lastValueFrom, toArray, type Observable } from 'rxjs';
import { Inventory } from '../../src/identity/inventory.js';
import type { CaptureRecord } from '../../src/model/records.js';
import { checkPolicy, type CheckEvent } from '../../src/pipeline/check-policy.js';
import { enrichAccesses } from '../../src/pipeline/enrich-accesses.js';
import { enrichAndCheck } from '../../src/pipeline/enrich-and-check.js';
import { loadPolicies } from '../../src/policy/load-policy.js';
import type { Policy } from '../../src/policy/policy-types.js';
import { readRecords } from '../support/read-records.js';

const root = new URL('../../', import.meta.url).pathname;
const CAPTURES = [
  'qemu-6.1-q35-basic/kernel.capture.ndjson',
  'qemu-6.1-bpftrace/probe-phases.capture.ndjson',
  'lab-kexec/kernel.capture.ndjson',
  'lab-resets/kernel.capture.ndjson',
  'lab-sriov/kernel.capture.ndjson',
  'lab-e1000e-on/kernel.capture.ndjson',
  'lab-e1000e-off/kernel.capture.ndjson',
];

const all = (o: Observable<CheckEvent>): Promise<CheckEvent[]> => lastValueFrom(o.pipe(toArray()));

async function policyOf(names: string[], preserve: string[]): Promise<Policy> {
  const { policy } = await loadPolicies(names);
  for (const bdf of preserve) policy.preserved.push({ bdf });
  return policy;
}

describe('enrichAndCheck emits what enrichAccesses + checkPolicy emit', async () => {
  // The nvme of the q35 machine and the lab's preserved devices; the rest are depended or other.
  const preserve = ['0000:02:00.0', '0000:03:00.0'];
  const policies = {
    'luo-default': await policyOf(['luo-default'], preserve),
    'luo-strict': await policyOf(['luo-strict'], preserve),
    // Rules for unprotected devices too: their writes cannot be taken without an event.
    'any-device': await policyOf([`${root}test/fixtures/policies/any-device.json`], preserve),
  };

  it('runs over reads without a value (what the fused path skips): the kprobe captures have them', async () => {
    const records = await readRecords(`${root}replays/${CAPTURES[0]}`);
    expect(records.filter((r) => r.t === 'access' && r.op === 'r' && r.val === null).length).toBeGreaterThan(100);
  });

  for (const capture of CAPTURES) {
    for (const [name, policy] of Object.entries(policies)) {
      it(`${capture}, ${name}`, async () => {
        const records: CaptureRecord[] = await readRecords(`${root}replays/${capture}`);
        const apart = new Inventory();
        const fused = new Inventory();
        const expected = await all(from(records).pipe(enrichAccesses({ inventory: apart }), checkPolicy(policy, apart)));
        const got = await all(from(records).pipe(enrichAndCheck(policy, fused)));
        expect(expected.some((e) => e.kind === 'finding')).toBe(true);
        expect(got).toEqual(expected);
        // The skipped reads still put their devices in the inventory, with the same identities.
        expect(fused.all().map((d) => d.identity())).toEqual(apart.all().map((d) => d.identity()));
      });
    }
  }
});
