/// <reference lib="dom" />
// `serve --from nats://` with real parts: a real nats-server, a real `serve --from` process, a real
// websocket client and the page in Debian's Chromium. The server starts before anything was
// published (the page says it waits for the stream), machines publish with `check --publish`
// while the page is open, and the counts that arrive must equal `fleet --json`'s; the NATS server
// is then killed (the page says the feed is stalled, not silently stale) and started again on its
// store, one more machine publishes, and the view catches up, again equal to `fleet --json`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import WebSocket from 'ws';
import { BIN, CHECK_ARGS, FLEET_CAPTURES, fleetCounts, root, runBin } from './fleet-helpers.js';
import { startSingle, type NatsSetup } from '../support/nats-servers.mjs';

const CHROMIUM = '/usr/bin/chromium';

interface Row { kernel: string; identity: string; register: string; callSite: string; violations: number; machines: string[]; runs: number }
const key = (r: { kernel: string; identity: string; register: string; callSite: string }): string => `${r.kernel}|${r.identity}|${r.register}|${r.callSite}`;

/** A websocket client that keeps the view as the protocol says: snapshot parts, then rows replaced whole. */
class FleetClient {
  readonly rows = new Map<string, Row>();
  readonly states: string[] = [];
  hello: { stream: { kind: string; fleet: { server: string } } } | null = null;
  snapshots = 0;
  totals: { findings: number; violations: number } | null = null;
  private readonly ws: WebSocket;
  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('message', (d: Buffer) => {
      const m = JSON.parse(d.toString()) as Record<string, unknown> & { type: string };
      if (m.type === 'hello') { this.hello = m as unknown as FleetClient['hello']; this.ws.send(JSON.stringify({ type: 'subscribe' })); }
      if (m.type === 'fleet-snapshot') { this.snapshots++; this.states.push((m['state'] as { state: string }).state); }
      if (m.type === 'fleet-state') this.states.push(m['state'] as string);
      if (m.type === 'fleet-snapshot' || m.type === 'fleet-rows') {
        for (const r of m['rows'] as Row[]) this.rows.set(key(r), r);
        this.totals = m['totals'] as FleetClient['totals'];
      }
    });
  }
  close(): void { this.ws.close(); }
}

/** fleet --json now: rows by key, and its totals. */
async function fleetNow(urls: string): Promise<{ rows: Map<string, Row>; findings: number }> {
  const r = await runBin(['fleet', '--server', urls, '--json']);
  expect(r.code, r.stderr).toBe(0);
  const { rows } = fleetCounts(r.stdout);
  const totals = JSON.parse(r.stdout.trimEnd().split('\n').pop()!) as { findings: number };
  return { rows: new Map(rows.map((x) => [key(x), x as unknown as Row])), findings: totals.findings };
}

const comparable = (rows: Map<string, Row>): Record<string, unknown> => Object.fromEntries([...rows].sort().map(([k, r]) => [k, { violations: r.violations, machines: [...r.machines].sort(), runs: r.runs }]));

async function until(what: string, f: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not within ${ms} ms: ${what}`);
}

/** What the page's fleet table shows, from its rows' data attributes. */
const pageRows = (page: Page): Promise<Array<{ key: string; violations: number; machines: number; runs: number }>> => page.$$eval('#fleet-table tbody tr', (trs) => (trs as HTMLTableRowElement[]).map((tr) => ({
  key: `${tr.dataset['kernel']}|${tr.dataset['identity']}|${tr.dataset['register']}|${tr.dataset['callSite']}`,
  violations: Number(tr.dataset['violations']), machines: Number(tr.dataset['machines']), runs: Number(tr.dataset['runs']),
})));
const pageFeed = (page: Page): Promise<string | null> => page.getAttribute('#fleet-feed', 'data-state');

async function pageEqualsFleet(page: Page, urls: string): Promise<void> {
  const want = await fleetNow(urls);
  await until('the page shows fleet --json\'s rows', async () => {
    const got = await pageRows(page);
    return got.length === want.rows.size && got.every((r) => { const w = want.rows.get(r.key); return !!w && w.violations === r.violations && w.machines.length === r.machines && w.runs === r.runs; });
  }, 30_000);
}

describe('serve --from nats:// (the fleet view, live)', () => {
  let nats: NatsSetup;
  let work: string;
  let serve: ChildProcess;
  let serveLog = '';
  let http = '';
  let browser: Browser;

  beforeAll(async () => {
    nats = await startSingle();
    work = mkdtempSync(join(tmpdir(), 'cfgscope-fleetview-'));
    serve = spawn(process.execPath, [BIN, 'serve', '--from', nats.urls, '--listen', '127.0.0.1:0', '--heartbeat', '500'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    serve.stderr!.on('data', (d: Buffer) => { serveLog += d.toString(); });
    await until('serve listens', () => /listening on (http:\/\/[^/\s]+)\//.test(serveLog), 30_000);
    http = /listening on (http:\/\/[^/\s]+)\//.exec(serveLog)![1]!;
    browser = await chromium.launch({ executablePath: CHROMIUM });
  }, 120_000);

  afterAll(async () => {
    if (serve && serve.exitCode === null) { serve.kill('SIGINT'); await new Promise((r) => serve.once('exit', r)); }
    await browser?.close();
    await nats?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const publish = async (machine: string, capture: string): Promise<void> => {
    const r = await runBin(['check', ...CHECK_ARGS, '--publish', nats.urls, '--machine', machine, '--run', 'r1', '--spool', join(work, `${machine}.spool`), capture]);
    expect(r.code, r.stderr).toBe(1);
  };

  it('waits for the stream, counts what machines publish while the page is open, says a stall, catches up', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${http}/`);
    // Nothing published yet: the stream does not exist, and the page says it waits for it.
    await until('the page says it waits for the stream', async () => (await pageFeed(page)) === 'waiting-for-stream');
    expect(await page.textContent('#fleet-feed')).toMatch(/no CFGSCOPE stream yet/);
    expect(await page.isVisible('#fleet-table')).toBe(true);
    expect(await page.isVisible('#findings')).toBe(false);
    const early = new FleetClient(`${http.replace(/^http/, 'ws')}/ws`);
    await until('the websocket client has its snapshot', () => early.snapshots > 0);
    expect(early.hello!.stream.kind).toBe('fleet');
    expect(early.hello!.stream.fleet.server).toBe(nats.urls);
    expect(early.rows.size).toBe(0);

    // Four machines publish, two at a time, while the page and the client watch.
    const machines = FLEET_CAPTURES.slice(0, 4).map((capture, i) => ({ machine: `fv${i}`, capture }));
    await Promise.all([0, 1].map(async (lane) => { for (const m of machines.filter((_, i) => i % 2 === lane)) await publish(m.machine, m.capture); }));
    await until('the page says the feed is live', async () => (await pageFeed(page)) === 'live');
    await pageEqualsFleet(page, nats.urls);
    const want = await fleetNow(nats.urls);
    expect(want.rows.size).toBeGreaterThan(10);
    await until('the client has every finding', () => early.totals?.findings === want.findings);
    expect(comparable(early.rows)).toEqual(comparable(want.rows));
    // The rows came as updates after the snapshot, not as a second snapshot.
    expect(early.snapshots).toBe(1);
    expect(early.states).toContain('live');

    // The NATS server goes away: the page says the feed is stalled, with the counts as of then.
    await nats.nodes[0]!.kill();
    await until('the page says the feed is stalled', async () => (await pageFeed(page)) === 'stalled', 30_000);
    expect(await page.textContent('#fleet-feed')).toMatch(/stalled since .*the counts are as of then/);
    await until('the client was told', () => early.states.includes('stalled'));
    expect(serveLog).toMatch(/fleet feed stalled/);

    // It comes back on its store; one more machine publishes; the view catches up.
    await nats.nodes[0]!.start();
    await publish('fv9', FLEET_CAPTURES[4]!);
    await until('the page says the feed is live again', async () => (await pageFeed(page)) === 'live', 60_000);
    await pageEqualsFleet(page, nats.urls);
    const after = await fleetNow(nats.urls);
    expect(after.findings).toBeGreaterThan(want.findings);
    await until('the client has every finding again', () => early.totals?.findings === after.findings);
    expect(comparable(early.rows)).toEqual(comparable(after.rows));

    // A client that connects now gets it all in its snapshot.
    const late = new FleetClient(`${http.replace(/^http/, 'ws')}/ws`);
    await until('the late client has its snapshot', () => late.totals?.findings === after.findings);
    expect(comparable(late.rows)).toEqual(comparable(after.rows));
    early.close();
    late.close();
    expect(errors).toEqual([]);
    await page.close();
  }, 300_000);

  it('watch pointed at the fleet server says what it is and exits 64, instead of skipping its messages', async () => {
    const r = await runBin(['watch', `${http.replace(/^http/, 'ws')}/ws`, '--until-end']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('WATCH_FLEET_SERVER');
    expect(r.stderr).not.toMatch(/skipped a server message/);
  }, 60_000);

  it('refuses a capture and --from together, capture options with --from, and nothing to serve (exit 64)', async () => {
    const both = await runBin(['serve', '--from', nats.urls, FLEET_CAPTURES[0]!]);
    expect(both.code).toBe(64);
    expect(both.stderr).toMatch(/SERVE_FROM_CONFLICT/);
    const policy = await runBin(['serve', '--from', nats.urls, '--policy', 'luo-default']);
    expect(policy.code).toBe(64);
    expect(policy.stderr).toMatch(/SERVE_FROM_CONFLICT.*--policy/);
    const since = await runBin(['serve', '--since', '2h', FLEET_CAPTURES[0]!]);
    expect(since.code).toBe(64);
    expect(since.stderr).toMatch(/SERVE_FROM_CONFLICT.*--since/);
    const nothing = await runBin(['serve']);
    expect(nothing.code).toBe(64);
    expect(nothing.stderr).toMatch(/SERVE_NOTHING/);
    const url = await runBin(['serve', '--from', 'http://127.0.0.1:4222']);
    expect(url.code).toBe(64);
    expect(url.stderr).toMatch(/FLEET_BAD_URL/);
  }, 60_000);
});
