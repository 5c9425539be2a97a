// A watch client that stops reading (SIGSTOP) during a long live run: the server drops events for
// it alone (its send buffer is over the limit), and when it reads again it is told its `gap`,
// re-requests it, and ends up with every finding `cfgscope check --json` reports, each once.
// The long run is the real capture's events passed several times (as test/server does), so that
// it outgrows what the kernel's socket buffers hold for a stopped reader.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Subject } from 'rxjs';
import { loadPolicies } from '../../src/policy/load-policy.js';
import { capturePass, type CaptureStreamOptions } from '../../src/server/capture-stream.js';
import { serveEvents, type ServeHandle } from '../../src/server/serve-events.js';
import type { ServedEvent } from '../../src/server/wire-message.js';
import { resolveFormat } from '../../src/sources/records-from-file.js';
import { checkJson, judgedWrites, PRESERVE, QEMU_BASIC, valueChange, type Judged } from '../support/serve-process.js';
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
    const { policy } = await loadPolicies(['luo-default']);
    policy.preserved.push({ bdf: PRESERVE });
    const stream: CaptureStreamOptions = { file: QEMU_BASIC, format: await resolveFormat(QEMU_BASIC), policy, devices: [] };
    const pass: ServedEvent[] = [];
    for await (const batch of capturePass(stream)) pass.push(...batch);
    // Only the last pass ends the stream.
    const middle = pass.filter((e) => e.kind !== 'end');

    const source = new Subject<ServedEvent>();
    server = await serveEvents({
      source, meta: { id: 'watch-gap', kind: 'live', policy: null },
      listen: { host: '127.0.0.1', port: 0 }, bufferBytes: 16 * 1024, ringSize: PASSES * pass.length,
    });
    const s = server;
    const w = runWatch([s.url.replace(/^http/, 'ws'), '--until-end']);
    await until(() => s.stats().clients.some((c) => c.mode === 'live'), 'the client is live');
    w.child.kill('SIGSTOP');
    try {
      for (let p = 0; p < PASSES; p++) {
        const events = p + 1 < PASSES ? middle : pass;
        for (let i = 0; i < events.length; i += 100) {
          for (const e of events.slice(i, i + 100)) source.next(e);
          await nextTurn();
        }
      }
      source.complete();
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
