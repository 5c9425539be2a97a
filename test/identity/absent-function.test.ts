// A function that is not there answers every read with all-ones (the bus's error response). On
// 6.12 with read values (test/fixtures/lab-6.12-basic), p2sb_fs_init reads q35's absent 00:1f.1
// and a rescan probes every empty slot of bus 0: none of that is a device [ffff:ffff].
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.js';
import { fixture } from '../support/read-records.js';

const SERIAL = fixture('lab-6.12-basic/serial.log');

describe('absent functions on 6.12 (all-ones reads)', () => {
  it('have no ids in a report, not ffff:ffff', async () => {
    const r = await runCli('report', SERIAL, '--policy', 'luo-default', '--preserve', '0000:00:1f.1');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('| 0000:00:1f.1 | ????:???? | preserved |');
    expect(r.stdout).not.toMatch(/ffff:ffff/i);
  });

});
