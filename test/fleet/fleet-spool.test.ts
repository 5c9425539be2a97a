// A machine whose server is down: what it publishes waits in the spool file and reaches the
// stream when the server is back, whether the same process is still waiting (--publish-wait) or
// a later --publish with the same spool drains it; nothing lost, nothing twice. A spool that
// fills is a coded error, never a silent drop.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readStream, root, runBin, tiles } from './fleet-helpers.js';
import { plannedSingle, type NatsSetup } from '../support/nats-servers.mjs';

const CAP_A = 'replays/lab-kexec/kernel.capture.ndjson';
const CAP_B = 'replays/lab-resets/kernel.capture.ndjson';

/** Records an import publishes: every capture record but the input's trailer, plus its own trailer. */
const recordCount = (stderr: string): number => Number(/published (\d+)/.exec(stderr)?.[1] ?? -1);

describe('publishing while the server is down', () => {
  let nats: NatsSetup;
  let work: string;

  beforeAll(async () => {
    nats = await plannedSingle();
    work = mkdtempSync(join(tmpdir(), 'cfgscope-spool-'));
  });
  afterAll(async () => {
    await nats?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('records wait in the spool and a later --publish sends them', async () => {
    const spool = join(work, 'a.spool');
    const down = await runBin(['import', CAP_A, '-o', join(work, 'a.ndjson'), '--publish', nats.urls, '--machine', 'late', '--run', 'r1', '--spool', spool, '--publish-wait', '0']);
    expect(down.code).toBe(0);
    expect(down.stderr).toContain('published 0 message(s)');
    expect(down.stderr).toMatch(/\d+ bytes of messages wait in the spool .*a\.spool/);
    expect(statSync(spool).size).toBeGreaterThan(100_000);

    await nats.nodes[0]!.start();
    const up = await runBin(['import', CAP_B, '-o', join(work, 'b.ndjson'), '--publish', nats.urls, '--machine', 'other', '--run', 'r1', '--spool', spool]);
    expect(up.code).toBe(0);
    expect(up.stderr).not.toContain('wait in the spool');
    expect(existsSync(spool)).toBe(false);
    const stream = await readStream(nats.urls);
    for (const run of ['late/r1', 'other/r1']) {
      const t = tiles(stream.get(run) ?? []);
      expect({ run, gaps: t.gaps, overlaps: t.overlaps }).toEqual({ run, gaps: 0, overlaps: 0 });
    }
    // Every record of the capture made it: the capture's lines (its trailer replaced by import's).
    const lines = (await import('node:fs')).readFileSync(join(work, 'a.ndjson'), 'utf8').split('\n').filter(Boolean).length;
    expect(tiles(stream.get('late/r1')!).total).toBe(lines);
    expect(recordCount(up.stderr)).toBeGreaterThan(stream.get('other/r1')!.length);
  }, 180_000);

  it('a publisher that is still waiting catches up when the server comes back', async () => {
    await nats.nodes[0]!.kill();
    const spool = join(work, 'c.spool');
    const run = runBin(['check', '--policy', 'luo-default', '--preserve', '0000:01:00.0', CAP_A, '--publish', nats.urls, '--machine', 'waiting', '--run', 'r1', '--spool', spool, '--publish-wait', '60']);
    // The whole capture is spooled before the server is back (the spool grows to its full size).
    const t0 = Date.now();
    let last = -1;
    for (;;) {
      await new Promise((r) => setTimeout(r, 300));
      const size = existsSync(spool) ? statSync(spool).size : 0;
      if (size > 0 && size === last) break;
      last = size;
      if (Date.now() - t0 > 60_000) throw new Error('the spool did not fill');
    }
    await nats.nodes[0]!.start();
    const r = await run;
    expect(r.code).toBe(1); // check's own verdict: violations found
    expect(r.stderr).not.toContain('wait in the spool');
    expect(existsSync(spool)).toBe(false);
    const stream = await readStream(nats.urls);
    const t = tiles(stream.get('waiting/r1') ?? []);
    expect({ gaps: t.gaps, overlaps: t.overlaps }).toEqual({ gaps: 0, overlaps: 0 });
    // check publishes every record it reads: exactly the capture's lines.
    const { readFileSync } = await import('node:fs');
    expect(t.total).toBe(readFileSync(join(root, CAP_A), 'utf8').split('\n').filter(Boolean).length);
    const f = tiles(stream.get('waiting/r1#finding') ?? []);
    expect({ gaps: f.gaps, overlaps: f.overlaps }).toEqual({ gaps: 0, overlaps: 0 });
    const fleet = await runBin(['fleet', '--server', nats.urls, '--json']);
    expect(fleet.stdout).toContain('"machines":["waiting"]');
  }, 180_000);

  it('a full spool is FLEET_SPOOL_FULL, and what it holds stays', async () => {
    await nats.nodes[0]!.kill();
    const spool = join(work, 'full.spool');
    const r = await runBin(['import', CAP_A, '-o', join(work, 'f.ndjson'), '--publish', nats.urls, '--machine', 'full', '--spool', spool, '--spool-max', '0.05', '--publish-wait', '0']);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/FLEET_SPOOL_FULL: the spool is full/);
    expect(statSync(spool).size).toBeGreaterThan(0);
    expect(statSync(spool).size).toBeLessThanOrEqual(0.05 * 1024 * 1024);
    expect(existsSync(`${spool}.lock`)).toBe(false);
  }, 60_000);
});
