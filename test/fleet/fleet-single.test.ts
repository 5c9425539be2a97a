// A simulated fleet on one real nats-server: the lab captures re-addressed as machines, each
// published by `check --publish` as a machine would; `fleet` must give the same per-device,
// per-register, per-call-site violation counts as `check` run on every machine's capture and
// summed, name the machines, and count a run published twice (same machine and run) once.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECK_ARGS, checkCounts, FLEET_CAPTURES, fleetCounts, readStream, root, runBin, tiles } from './fleet-helpers.js';
import { startSingle, type NatsSetup } from '../support/nats-servers.mjs';

const PER_CAPTURE = 2;

describe('fleet on a single nats-server', () => {
  let nats: NatsSetup;
  let work: string;
  const machines: Array<{ machine: string; capture: string }> = [];

  beforeAll(async () => {
    nats = await startSingle();
    work = mkdtempSync(join(tmpdir(), 'cfgscope-fleet-'));
    FLEET_CAPTURES.forEach((capture, i) => {
      for (let k = 0; k < PER_CAPTURE; k++) machines.push({ machine: `m${String(i * PER_CAPTURE + k).padStart(3, '0')}`, capture });
    });
    // Four machines at a time, as a fleet publishes concurrently.
    const queue = [...machines];
    await Promise.all(Array.from({ length: 4 }, async () => {
      for (let m = queue.shift(); m; m = queue.shift()) {
        const r = await runBin(['check', ...CHECK_ARGS, '--publish', nats.urls, '--machine', m.machine, '--run', 'r1', '--spool', join(work, `${m.machine}.spool`), m.capture]);
        if (r.code !== 1) throw new Error(`${m.machine}: exit ${r.code}: ${r.stderr}`);
      }
    }));
  }, 300_000);

  afterAll(async () => {
    await nats?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('fleet counts = the sum of check on every machine', async () => {
    const want = new Map<string, number>();
    const perCapture = new Map<string, Map<string, number>>();
    for (const c of FLEET_CAPTURES) perCapture.set(c, await checkCounts(c));
    for (const m of machines) for (const [k, n] of perCapture.get(m.capture)!) want.set(k, (want.get(k) ?? 0) + n);
    const r = await runBin(['fleet', '--server', nats.urls, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const { counts, rows } = fleetCounts(r.stdout);
    expect(want.size).toBeGreaterThan(20);
    expect(Object.fromEntries([...counts].sort())).toEqual(Object.fromEntries([...want].sort()));
    // Which machines: a row's machines are exactly those whose capture has that violation.
    for (const row of rows) {
      const key = `${row.kernel}|${row.identity}|${row.register}|${row.callSite}`;
      const expected = machines.filter((m) => perCapture.get(m.capture)!.has(key)).map((m) => m.machine).sort();
      expect(row.machines, key).toEqual(expected);
      expect(row.runs).toBe(expected.length);
    }
    // Identity, not BDF: the same device model on every machine is one row per register and site.
    // (`unknown` where a capture has no identity for the device: said, not guessed.)
    expect(rows.filter((x) => !/^([0-9a-f]{4}:[0-9a-f]{4}(:[0-9a-f]{4}:[0-9a-f]{4})?|unknown)$/.test(x.identity))).toEqual([]);
    expect(rows.some((x) => /^8086:10d3:[0-9a-f]{4}:[0-9a-f]{4}$/.test(x.identity))).toBe(true);
  }, 300_000);

  it('every record of every run is in the stream once', async () => {
    const stream = await readStream(nats.urls);
    expect(stream.size).toBe(2 * machines.length); // records and findings of each run
    for (const [run, ranges] of stream) {
      const t = tiles(ranges);
      expect({ run, gaps: t.gaps, overlaps: t.overlaps }).toEqual({ run, gaps: 0, overlaps: 0 });
      if (run.endsWith('#finding')) {
        expect(t.total).toBeGreaterThan(30);
      } else {
        // check publishes every record it reads: exactly the capture's lines.
        const capture = machines.find((m) => run === `${m.machine}/r1`)!.capture;
        expect(t.total).toBe(readFileSync(join(root, capture), 'utf8').split('\n').filter(Boolean).length);
      }
    }
  }, 120_000);

  it('publishing the same machine and run again adds nothing (message ids, duplicate window)', async () => {
    const before = (await runBin(['fleet', '--server', nats.urls, '--json'])).stdout;
    const m = machines[0]!;
    const r = await runBin(['check', ...CHECK_ARGS, '--publish', nats.urls, '--machine', m.machine, '--run', 'r1', '--spool', join(work, 'again.spool'), m.capture]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/published (\d+) message\(s\) \(\1 already there\)/);
    const after = (await runBin(['fleet', '--server', nats.urls, '--json'])).stdout;
    expect(fleetCounts(after).counts).toEqual(fleetCounts(before).counts);
  }, 120_000);

  it('--kernel-release and --since select, text names the kernel, device and call site', async () => {
    const none = await runBin(['fleet', '--server', nats.urls, '--kernel-release', '5.10.0-99-amd64', '--json']);
    expect(fleetCounts(none.stdout).rows).toEqual([]);
    const future = await runBin(['fleet', '--server', nats.urls, '--since', '2099-01-01', '--json']);
    expect(fleetCounts(future.stdout).rows).toEqual([]);
    const recent = await runBin(['fleet', '--server', nats.urls, '--since', '1h', '--format', 'json']);
    expect(fleetCounts(recent.stdout).rows.length).toBeGreaterThan(20);
    const text = await runBin(['fleet', '--server', nats.urls, '--kernel-release', '6.1.0-56-amd64']);
    expect(text.stdout).toMatch(/^kernel 6\.1\.0-56-amd64: \d+ violations, 14 machines$/m);
    expect(text.stdout).toMatch(/^ {2}device 8086:10d3/m);
    expect(text.stdout).toMatch(/^ {4}COMMAND by /m);
  }, 120_000);

  it('bad servers and options are coded errors', async () => {
    expect(await runBin(['fleet', '--server', 'http://127.0.0.1:1'])).toMatchObject({ code: 64, stderr: expect.stringContaining('FLEET_BAD_URL') });
    expect(await runBin(['fleet'])).toMatchObject({ code: 65, stderr: expect.stringContaining('FLEET_NO_SERVER') });
    expect(await runBin(['fleet', '--server', nats.urls, '--since', 'yesterday'])).toMatchObject({ code: 64, stderr: expect.stringContaining('FLEET_BAD_SINCE') });
    expect(await runBin(['check', ...CHECK_ARGS, '--publish', nats.urls, '--machine', 'a.b', FLEET_CAPTURES[0]!])).toMatchObject({ code: 64, stderr: expect.stringContaining('FLEET_BAD_NAME') });
  }, 60_000);
});
