// `capture --publish`: a live capture (bpftrace's recorded output from the lab, replayed by a
// stand-in bpftrace) sends exactly what its capture file holds, and its findings; `fleet` then
// says what `check` of that file says.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkCounts, fleetCounts, readStream, root, runBin, tiles } from './fleet-helpers.js';
import { startSingle, type NatsSetup } from '../support/nats-servers.mjs';

describe('capture --publish', () => {
  let nats: NatsSetup;
  let work: string;
  beforeAll(async () => {
    nats = await startSingle();
    work = mkdtempSync(join(tmpdir(), 'cfgscope-capture-'));
  });
  afterAll(async () => {
    await nats?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('publishes the capture file\'s records and its findings', async () => {
    const out = join(work, 'live.ndjson');
    let pid = 0;
    const run = runBin(['capture', '-o', out, '--no-preflight', '--bpftrace', `${root}test/support/recorded-bpftrace.mjs`,
      '--probe', `${root}test/fixtures/bpftrace/probe-phases.txt`, '--preserve', '0000:01:00.0', '--preserve', '0000:02:00.0',
      '--publish', nats.urls, '--machine', 'live1', '--run', 'r1', '--spool', join(tmpdir(), `cfgscope-capture-${process.pid}.spool`)], 120_000, {}, (p) => { pid = p; });
    // The stand-in bpftrace prints the recording, then waits for Ctrl-C as bpftrace does: SIGINT
    // once the capture file has stopped growing.
    let last = -1;
    let stable = 0;
    for (let i = 0; i < 250 && stable < 8; i++) {
      await new Promise((res) => setTimeout(res, 400));
      const text = (() => { try { return readFileSync(out, 'utf8'); } catch { return ''; } })();
      stable = text.includes('"t":"access"') && text.length === last ? stable + 1 : 0;
      last = text.length;
    }
    process.kill(pid, 'SIGINT');
    const r = await run;
    expect(r.stderr).toContain('published');
    expect(r.stderr).not.toContain('wait in the spool');
    expect([0, 1]).toContain(r.code);
    const lines = readFileSync(out, 'utf8').split('\n').filter(Boolean).length;
    const stream = await readStream(nats.urls);
    const t = tiles(stream.get('live1/r1') ?? []);
    // Every record of the file (trailer included), and the findings apart.
    const want = await checkCounts(out);
    const fleet = await runBin(['fleet', '--server', nats.urls, '--json']);
    expect(Object.fromEntries([...fleetCounts(fleet.stdout).counts].sort())).toEqual(Object.fromEntries([...want].sort()));
    expect(want.size).toBeGreaterThan(3);
    expect({ gaps: t.gaps, overlaps: t.overlaps }).toEqual({ gaps: 0, overlaps: 0 });
    expect(t.total).toBe(lines);
    expect(tiles(stream.get('live1/r1#finding') ?? []).total).toBeGreaterThan(3);
  }, 120_000);

  it('serve --publish publishes the served capture once, whole, while serving', async () => {
    const capture = 'replays/lab-sriov/kernel.capture.ndjson';
    let pid = 0;
    let said = '';
    const run = runBin(['serve', capture, '--policy', 'luo-default', '--preserve', '0000:01:00.0', '--preserve', '0000:02:00.0',
      '--listen', '127.0.0.1:0', '--publish', nats.urls, '--machine', 'served', '--run', 'r1',
      '--spool', join(work, 'serve.spool')], 120_000, {}, (p) => { pid = p; }, (t) => { said += t; });
    for (let i = 0; i < 300 && !said.includes('published'); i++) await new Promise((res) => setTimeout(res, 200));
    process.kill(pid, 'SIGINT');
    const r = await run;
    expect(r.stderr).toMatch(/published \d+ message\(s\) as served\/r1/);
    expect(r.code).toBe(0);
    const want = await checkCounts(capture);
    const fleet = await runBin(['fleet', '--server', nats.urls, '--json']);
    const got = new Map([...fleetCounts(fleet.stdout).rows].filter((x) => x.machines.includes('served')).map((x) => [`${x.kernel}|${x.identity}|${x.register}|${x.callSite}`, x.violations]));
    expect(Object.fromEntries([...got].sort())).toEqual(Object.fromEntries([...want].sort()));
  }, 120_000);
});
