// setpci as oracle for capability addressing on this machine's real devices: for every capability
// our sysfs walk finds, the setpci expression layout.ts gives (`CAP_VNDR+0x2.b@3`) must make setpci
// itself address the same byte. Needs devices, and config space beyond 64 bytes, i.e. root;
// skipped with the reason otherwise (never passed on zero devices).

import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compileLayout } from '../../src/registers/layout.js';
import { liveDevices } from '../support/live-devices.js';

const live = await liveDevices();
const devices = live.devices.filter((d) => (d.caps?.length ?? 0) + (d.ecaps?.length ?? 0) > 0);
const none = live.none ?? (devices.length === 0
  ? `${live.devices.length} PCI device(s), none with a capability list read: config space past 64 bytes needs root` : null);

describe('capability names against setpci on live devices', () => {
  if (none !== null) it('on this machine\'s devices', (ctx) => ctx.skip(none));
  it.each(devices.map((d) => [d.bdf, d] as const))('%s', (bdf, d) => {
    const layout = compileLayout(d);
    const probes = [...(d.caps ?? []).map((c) => c.off + 2), ...(d.ecaps ?? []).map((c) => c.off + 4)];
    const exprs = probes.map((off) => layout.name(off, 1).setpci);
    const out = execFileSync('setpci', ['-v', '-s', bdf, ...exprs], { encoding: 'utf8' });
    // `0000:00:01.0 (cap 09 @70) @72 = 14`: the address setpci resolved is after the last `@`.
    const addrs = out.trim().split('\n').map((l) => parseInt(/@([0-9a-f]+) = /.exec(l)![1]!, 16));
    expect(addrs, exprs.join(' ')).toEqual(probes);
  });
});
