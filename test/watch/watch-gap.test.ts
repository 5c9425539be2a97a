// A watch client that stops reading (SIGSTOP) during a long live run: the server drops events for
// it alone (its send buffer is over the limit), and when it reads again it is told its `gap`,
// re-requests it, and ends up with every finding `cfgscope check --json` reports, each once.
// The long run is the real capture's events passed several times (as test/server does), so that
// it outgrows what the kernel's socket buffers hold for a stopped reader.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServeHandle } from '../../src/server/serve-events.js';
import { longLiveRun } from '../support/long-live-run.js';
import { checkJson, judgedWrites, valueChange, type Judged } from '../support/serve-process.js';
import { findingLines, runWatch, type WatchLine } from './watch-process.js';

const PASSES = 8;
let judged: Judged[];
let server: ServeHandle | null = null;

beforeAll(() => { judged = judgedWrites(checkJson()); }, 60_000);
afterAll(async () => { await server?.close(); });

const expected = (j: Judged): Omit<WatchLine, 'seq'> => ({ verdict: j.verdict, severity: j.severity, bdf: j.bdf, register: j.register, vals: valueChange(j), callSite: j.callSite ?? '?', rule: j.rule });

/** Polls the server's own counters; bounded, so a condition that never holds fails the test. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await sleep(25);
  if (!cond()) throw new Error(`never happened: ${what}`);
}

describe('a watch client that stalls', () => {
  it('is told its gap, re-requests it, and misses nothing', async () => {
    const run = await longLiveRun('watch-gap', PASSES);
    const s = run.server;
    server = s;
    const w = runWatch([s.url.replace(/^http/, 'ws'), '--until-end']);
    await until(() => s.stats().clients.some((c) => c.mode === 'live'), 'the client is live');
    w.child.kill('SIGSTOP');
    try {
      await run.feed();
      expect(s.stats().clients[0]!.dropped).toBeGreaterThan(0);
    } finally {
      w.child.kill('SIGCONT');
    }
    expect(await w.exit).toBe(0);
    const out = w.stdout();
    expect(out).toMatch(/^# missed \d+ events, seq \d+-\d+ \(slow\): re-requested$/m);
    const lines = findingLines(out);
    expect(lines.map(({ seq: _s, ...l }) => l)).toEqual(Array.from({ length: PASSES }, () => judged.map(expected)).flat());
    expect(new Set(lines.map((l) => l.seq)).size).toBe(lines.length);
  }, 60_000);
});
