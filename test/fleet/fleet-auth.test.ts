// Credentials the server refuses: `fleet` and every `--publish` end with FLEET_AUTH (exit 65) at
// once, instead of FLEET_UNREACHABLE or, for a publisher, exit 0 after waiting out --publish-wait
// for a server that will never take them. Nothing is lost: the command's own output is written
// and the messages wait in the spool, which the next --publish with the right credentials sends.
// A real nats-server started with --user and --pass.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readStream, runBin, tiles } from './fleet-helpers.js';
import { startSingleWithUser, type NatsSetup } from '../support/nats-servers.mjs';

const CAP = 'replays/lab-kexec/kernel.capture.ndjson';

describe('credentials the NATS server refuses', () => {
  let nats: NatsSetup;
  let work: string;
  const url = (user: string, pass: string): string => nats.urls.replace('nats://', `nats://${user}:${pass}@`);

  beforeAll(async () => {
    nats = await startSingleWithUser('fleet', 'right-password');
    work = mkdtempSync(join(tmpdir(), 'cfgscope-fleet-auth-'));
  });
  afterAll(async () => {
    await nats?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('fleet says FLEET_AUTH, not FLEET_UNREACHABLE', async () => {
    const r = await runBin(['fleet', '--server', url('fleet', 'wrong')]);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('FLEET_AUTH');
    expect(r.stderr).not.toContain('FLEET_UNREACHABLE');
    expect(r.stderr).not.toContain('right-password');
  }, 60_000);

  it('import --publish writes its output, keeps the messages in the spool, ends 65 without waiting; the right credentials send them', async () => {
    const spool = join(work, 'a.spool');
    const out = join(work, 'a.ndjson');
    const t0 = Date.now();
    // --publish-wait 60: a refusal must not wait it out.
    const refused = await runBin(['import', CAP, '-o', out, '--publish', url('fleet', 'wrong'), '--machine', 'm1', '--run', 'r1', '--spool', spool, '--publish-wait', '60']);
    expect(refused.code).toBe(65);
    expect(refused.stderr).toContain('FLEET_AUTH');
    expect(Date.now() - t0).toBeLessThan(30_000);
    // The output is whole and the summary said, the messages are in the spool.
    expect(readFileSync(out, 'utf8')).toMatch(/"t":"trailer".*"complete":true/);
    expect(refused.stderr).toMatch(/-> .*a\.ndjson/);
    expect(refused.stderr).toMatch(/\d+ bytes of messages wait in the spool .*a\.spool/);
    expect(statSync(spool).size).toBeGreaterThan(100_000);

    const sent = await runBin(['check', '--policy', 'luo-default', '--preserve', '0000:01:00.0', 'replays/lab-resets/kernel.capture.ndjson',
      '--publish', url('fleet', 'right-password'), '--machine', 'm2', '--run', 'r1', '--spool', spool]);
    expect([0, 1]).toContain(sent.code);
    expect(sent.stderr).not.toContain('FLEET_AUTH');
    expect(existsSync(spool)).toBe(false);
    const stream = await readStream(url('fleet', 'right-password'));
    const lines = readFileSync(out, 'utf8').split('\n').filter(Boolean).length;
    const t = tiles(stream.get('m1/r1') ?? []);
    expect({ total: t.total, gaps: t.gaps, overlaps: t.overlaps }).toEqual({ total: lines, gaps: 0, overlaps: 0 });
  }, 180_000);

  it('check --publish with violations and refused credentials ends 65 (FLEET_AUTH), its report printed', async () => {
    const r = await runBin(['check', '--policy', 'luo-default', '--preserve', '0000:01:00.0', CAP, '--publish', url('fleet', 'wrong'),
      '--spool', join(work, 'c.spool')]);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('FLEET_AUTH');
    expect(r.stdout).toMatch(/\d+ violations, /);
  }, 120_000);
});
