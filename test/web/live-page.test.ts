/// <reference lib="dom" />
// The page served at `/`, in Debian's Chromium driven by playwright-core, against a real
// `cfgscope serve` process replaying a real capture under luo-default: its findings table must say
// what `cfgscope check --json` says for the same capture, its filters, per-device view and timeline
// must agree with it, and a server killed and restarted mid-stream must cost no row and double none.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { BPFTRACE_LOST, checkJson, judgedWrites, kill, PRESERVE, startServe, valueChange, type CheckLine, type Judged, type ServeProcess } from '../support/serve-process.js';

const CHROMIUM = '/usr/bin/chromium';

interface Row { seq: number; verdict: string; bdf: string; rule: string; index: number; register: string; vals: string }

let browser: Browser;
let check: CheckLine[];
let judged: Judged[];
const running: ServeProcess[] = [];

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM });
  check = checkJson();
  judged = judgedWrites(check);
}, 60_000);

afterAll(async () => {
  for (const s of running) await kill(s);
  await browser?.close();
});

async function serve(port: number, ...args: string[]): Promise<ServeProcess> {
  const s = await startServe(port, args);
  running.push(s);
  return s;
}

/** Two animation frames: the page redraws on the next frame after a change. */
const settled = (page: Page): Promise<void> => page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));

async function waitForEnd(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const w = window as unknown as { cfgscope?: { store: { end: unknown; findings: unknown[] } } };
    const s = w.cfgscope?.store;
    return !!s && s.end !== null && document.querySelectorAll('#findings tbody tr').length === s.findings.length;
  }, undefined, { timeout: 30_000 });
  await settled(page);
}

async function showAllVerdicts(page: Page): Promise<void> {
  await page.check('input[name=verdict][value=expected]');
  await page.check('input[name=verdict][value=unexplained]');
  await settled(page);
}

function visibleRows(page: Page): Promise<Row[]> {
  return page.$$eval('#findings tbody tr', (trs) => (trs as HTMLTableRowElement[]).filter((tr) => !tr.hidden).map((tr) => ({
    seq: Number(tr.dataset['seq']), verdict: tr.dataset['verdict']!, bdf: tr.dataset['bdf']!, rule: tr.dataset['rule']!,
    index: Number(tr.dataset['index']), register: tr.cells[3]!.firstChild!.textContent!, vals: tr.cells[4]!.textContent!,
  })));
}

const asRow = (j: Judged): Omit<Row, 'seq'> => ({ verdict: j.verdict, bdf: j.bdf, rule: j.rule, index: j.index, register: j.register, vals: valueChange(j) });
const withoutSeq = (rows: Row[]): Omit<Row, 'seq'>[] => rows.map(({ seq: _s, ...r }) => r);

function countBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return m;
}

describe('the live page', () => {
  it('shows the findings check reports, filters them, and draws the per-device view and the timeline', async () => {
    const s = await serve(0, '--fast');
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${s.http}/`);
    await waitForEnd(page);

    // Default filter: violations only, exactly check's violations, in the order the kernel made them.
    const violations = judged.filter((j) => j.verdict === 'violation');
    expect(violations.length).toBeGreaterThan(0);
    expect(withoutSeq(await visibleRows(page))).toEqual(violations.map(asRow));
    expect(await page.textContent('#connection')).toContain('stream ended');

    await showAllVerdicts(page);
    const all = await visibleRows(page);
    expect(withoutSeq(all)).toEqual(judged.map(asRow));
    expect(all.map((r) => r.seq)).toEqual([...all.map((r) => r.seq)].sort((a, b) => a - b));

    // Device filter: only that device's findings, and only its row in the per-device view.
    await page.selectOption('select[name=device]', PRESERVE);
    await settled(page);
    expect(withoutSeq(await visibleRows(page))).toEqual(judged.filter((j) => j.bdf === PRESERVE).map(asRow));
    expect(await page.$$eval('#devices tbody tr', (trs) => trs.map((tr) => (tr as HTMLElement).dataset['bdf']))).toEqual([PRESERVE]);
    await page.selectOption('select[name=device]', '');
    // Severity: luo-default's expectations are `info`, its protections `error`; nothing is critical.
    await page.selectOption('select[name=severity]', 'error');
    await settled(page);
    expect(withoutSeq(await visibleRows(page))).toEqual(judged.filter((j) => j.verdict === 'violation').map(asRow));
    await page.selectOption('select[name=severity]', 'critical');
    await settled(page);
    expect(await visibleRows(page)).toEqual([]);
    await page.selectOption('select[name=severity]', 'info');
    await page.uncheck('input[name=verdict][value=violation]');
    await settled(page);
    expect(withoutSeq(await visibleRows(page))).toEqual(judged.filter((j) => j.verdict === 'expected').map(asRow));

    // Per device: violation counts as check counts them; one column per phase (and `boot`).
    const end = check.find((l) => l.type === 'end') as unknown as { counts: { accesses: number; phases: number } };
    const perDevice = countBy(violations, (j) => j.bdf);
    const shown = await page.$$eval('#devices tbody tr', (trs) => trs.map((tr) => [(tr as HTMLElement).dataset['bdf']!, Number((tr as HTMLElement).dataset['violations'])] as const));
    expect(new Map(shown.filter(([, v]) => v > 0))).toEqual(perDevice);
    expect(await page.$$eval('#devices thead th.phase', (ths) => ths.length)).toBe(end.counts.phases + 1);

    // Timeline: every access drawn once, a red mark per violating write on its device's row (a
    // write several rules judge, a dword over IO_BASE and IO_LIMIT, is one mark).
    const svg = page.locator('#timeline svg');
    expect(Number(await svg.getAttribute('data-points'))).toBe(end.counts.accesses);
    expect(Number(await svg.getAttribute('data-devices'))).toBe(shown.length);
    const violatingWrites = [...new Map(violations.map((j) => [j.index, j])).values()];
    expect(violatingWrites.length).toBeLessThan(violations.length);
    for (const [bdf, n] of countBy(violatingWrites, (j) => j.bdf)) {
      expect(Number(await page.locator(`#timeline g[data-bdf="${bdf}"]`).getAttribute('data-violations'))).toBe(n);
    }
    expect(await page.locator('#timeline rect.violation').count()).toBe(violatingWrites.length);
    expect(errors).toEqual([]);
    await page.close();
    await kill(s);
  }, 60_000);

  it('loses and doubles nothing when the server is killed mid-stream and restarted', async () => {
    // Recorded speed: the capture's accesses span ~10 s and its violations come in several phases,
    // so the kill lands mid-stream even when a loaded machine is slow to load the page.
    const args = ['--speed', '1', '--token', 'sesame'];
    const first = await serve(0, ...args);
    const page = await browser.newPage();
    await page.goto(`${first.http}/?token=sesame`);
    await showAllVerdicts(page);
    // Mid-stream: some violations shown, the end not reached.
    await page.waitForSelector('#findings tbody tr.violation', { state: 'attached', timeout: 20_000 });
    const before = await page.evaluate(() => {
      const w = window as unknown as { cfgscope: { store: { end: unknown; findings: unknown[] }; connection: { cursor: { floor: number } } } };
      return { ended: w.cfgscope.store.end !== null, rows: w.cfgscope.store.findings.length, floor: w.cfgscope.connection.cursor.floor };
    });
    expect(before.ended).toBe(false);
    expect(before.rows).toBeLessThan(judged.length);
    await kill(first);
    await page.waitForSelector('#connection[data-state=reconnecting]', { timeout: 10_000 });

    const second = await serve(first.port, ...args);
    await waitForEnd(page);
    const rows = await visibleRows(page);
    expect(withoutSeq(rows)).toEqual(judged.map(asRow));
    expect(new Set(rows.map((r) => r.seq)).size).toBe(rows.length);
    const end = check.find((l) => l.type === 'end') as unknown as { counts: { accesses: number } };
    expect(await page.evaluate(() => (window as unknown as { cfgscope: { store: { timeline: { count: number } } } }).cfgscope.store.timeline.count)).toBe(end.counts.accesses);
    // Resumed, not restarted: same stream, and the page asked from past where it was.
    expect(await page.textContent('#warnings')).not.toContain('another stream');
    await page.close();
    await kill(second);
  }, 60_000);

  it('warns of the events the tracer lost', async () => {
    const end = checkJson(BPFTRACE_LOST).find((l) => l.type === 'end') as unknown as { counts: { lostEvents: number; accesses: number } };
    expect(end.counts.lostEvents).toBeGreaterThan(0);
    const s = await startServe(0, ['--fast'], BPFTRACE_LOST);
    running.push(s);
    const page = await browser.newPage();
    await page.goto(`${s.http}/`);
    await waitForEnd(page);
    expect(await page.textContent('#warnings .lost')).toContain(`${end.counts.lostEvents} events lost by the tracer (bpftrace)`);
    expect(Number(await page.locator('#timeline svg').getAttribute('data-points'))).toBe(end.counts.accesses);
    await page.close();
    await kill(s);
  }, 60_000);

  it('stops retrying and says so when a restarted server refuses its token', async () => {
    const first = await serve(0, '--fast', '--token', 'sesame');
    const page = await browser.newPage();
    await page.goto(`${first.http}/?token=sesame`);
    await waitForEnd(page);
    await kill(first);
    const second = await serve(first.port, '--fast', '--token', 'another');
    await page.waitForSelector('#connection[data-state=failed]', { timeout: 20_000 });
    expect(await page.textContent('#connection')).toContain('closed 4401: missing or wrong token');
    // What it had stays on the page.
    expect((await visibleRows(page)).length).toBe(judged.filter((j) => j.verdict === 'violation').length);
    await page.close();
    await kill(second);
  }, 60_000);
});
