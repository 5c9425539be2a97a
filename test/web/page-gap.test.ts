/// <reference lib="dom" />
// The page stalls (its main thread blocked in a synchronous request that the test answers only
// later) during a long live run: the server drops events for it alone, and once the page runs
// again it is told its `gap`, re-requests it, and its findings table ends with every finding of
// every pass exactly once. The long run is the real capture's events passed several times, fed by
// the test into the server library (src/server), as in test/server's stalled-client test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { chromium, type Browser } from 'playwright-core';
import type { ServeHandle } from '../../src/server/serve-events.js';
import { longLiveRun } from '../support/long-live-run.js';
import { checkJson, judgedWrites, type Judged } from '../support/serve-process.js';

const PASSES = 8;
let judged: Judged[];
let browser: Browser;
let server: ServeHandle | null = null;
let blocker: Server | null = null;

beforeAll(async () => {
  judged = judgedWrites(checkJson());
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
}, 60_000);
afterAll(async () => {
  await server?.close();
  blocker?.close();
  await browser?.close();
});

describe('a stalled page', () => {
  it('is told its gap, re-requests it, and shows every finding once', async () => {
    const run = await longLiveRun('page-gap', PASSES);
    const s = run.server;
    server = s;
    // Answers the page's synchronous request only when the test ends it: the page's thread waits in it.
    let held: ServerResponse | null = null;
    let entered!: () => void;
    const waiting = new Promise<void>((r) => { entered = r; });
    blocker = createServer((_req, res) => {
      res.setHeader('access-control-allow-origin', '*');
      held = res;
      entered();
    });
    await new Promise<void>((r) => blocker!.listen(0, '127.0.0.1', r));
    const blockUrl = `http://127.0.0.1:${(blocker.address() as { port: number }).port}/`;

    const page = await browser.newPage();
    await page.goto(`${s.url}/`);
    await page.check('input[name=verdict][value=expected]');
    await page.waitForFunction(() => (window as unknown as { cfgscope?: { connection: { live: boolean } } }).cfgscope?.connection.live === true);
    const stalled = page.evaluate((url) => { const x = new XMLHttpRequest(); x.open('GET', url, false); x.send(); }, blockUrl);
    await waiting;
    try {
      await run.feed();
      expect(s.stats().clients[0]!.dropped).toBeGreaterThan(0);
    } finally {
      (held as ServerResponse | null)?.end('ok');
    }
    await stalled;
    await page.waitForFunction(() => {
      const w = window as unknown as { cfgscope: { store: { end: unknown; findings: unknown[] } } };
      return w.cfgscope.store.end !== null && document.querySelectorAll('#findings tbody tr').length === w.cfgscope.store.findings.length;
    }, undefined, { timeout: 30_000 });
    expect(await page.textContent('#warnings')).toMatch(/missed \d+ events \(seq \d+-\d+, slow\): re-requested/);
    const rows = await page.$$eval('#findings tbody tr', (trs) => trs.map((tr) => ({ seq: Number((tr as HTMLElement).dataset['seq']), rule: (tr as HTMLElement).dataset['rule'], bdf: (tr as HTMLElement).dataset['bdf'], verdict: (tr as HTMLElement).dataset['verdict'] })));
    expect(rows.map(({ seq: _s, ...r }) => r)).toEqual(Array.from({ length: PASSES }, () => judged.map((j) => ({ rule: j.rule, bdf: j.bdf, verdict: j.verdict }))).flat());
    expect(new Set(rows.map((r) => r.seq)).size).toBe(rows.length);
    await page.close();
  }, 90_000);
});
