// The report's per-boot write counts (src/report/boot-summary.ts) come from the writes the judge
// is handed (reportEvents' onWrite), not from a stream of every access event: on the real kexec
// capture no access event reaches the report, and every write the capture holds is handed over
// once, also a write to a device no rule protects at that moment (a bridge is known to be above
// the preserved device only once its bus range was read), which `check`'s access filter leaves
// out. test/report/boots.test.ts and the golden reports hold the counts themselves.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { lastValueFrom, toArray } from 'rxjs';
import { Inventory } from '../../src/identity/inventory.js';
import type { AccessEvent } from '../../src/model/events.js';
import { loadPolicies } from '../../src/policy/load-policy.js';
import { reportEvents } from '../../src/report/report-events.js';
import { recordsFromFile, resolveFormat } from '../../src/sources/records-from-file.js';

const KEXEC = 'replays/lab-kexec/kernel.capture.ndjson';
const PRESERVE = '0000:03:00.0';

describe('reportEvents with onWrite', () => {
  it('hands over every write of the capture and no access event', async () => {
    const { policy } = await loadPolicies(['luo-default']);
    policy.preserved.push({ bdf: PRESERVE });
    const writes: AccessEvent[] = [];
    const src = recordsFromFile(KEXEC, await resolveFormat(KEXEC));
    const events = await lastValueFrom(src.pipe(reportEvents(policy, new Inventory(), (e) => writes.push(e)), toArray()));
    expect(events.filter((e) => (e.kind as string) === 'access')).toEqual([]);
    // Written here from the capture's own lines, not by the code under test.
    const records = readFileSync(KEXEC, 'utf8').split('\n').filter((l) => l.startsWith('{"t":"access"'))
      .map((l) => JSON.parse(l) as { op: string; known: boolean });
    expect(writes.every((e) => e.access.op === 'w')).toBe(true);
    expect(writes.length).toBe(records.filter((r) => r.op === 'w').length);
    expect(writes.filter((e) => e.bdf !== null).length).toBe(records.filter((r) => r.op === 'w' && r.known).length);
    // Writes to devices no rule protects are handed over too (the policy's access filter leaves
    // them out for `check`): a device's role may change after a write.
    expect(writes.filter((e) => e.role === 'other' && e.bdf !== null).length).toBeGreaterThan(0);
  });
});
