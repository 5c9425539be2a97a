/// <reference lib="dom" />
// The page on the real kexec capture (replays/lab-kexec), in Debian's Chromium against a real
// `cfgscope serve`: one timeline lane per boot, each on its own clock (kernel 2's timestamps start
// again; the two kernels on one axis made 1.2 s .. 1122 s), the handover's device-only writes in a
// lane under their own heading, and every access drawn once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { kill, LAB_KEXEC, startServe, type ServeProcess } from '../support/serve-process.js';

let browser: Browser;
let serve: ServeProcess | null = null;

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
}, 60_000);

afterAll(async () => {
  if (serve) await kill(serve);
  await browser?.close();
});

interface Lane { boot: string; title: string; points: number; from: number; to: number; unit: string }

describe('the page on a kexec capture', () => {
  it('draws kernel 1, the handover and kernel 2 in lanes of their own, each on its own clock', async () => {
    serve = await startServe(0, ['--fast'], LAB_KEXEC);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${serve.http}/`);
    await page.waitForFunction(() => (window as unknown as { cfgscope?: { store: { end: unknown } } }).cfgscope?.store.end != null, undefined, { timeout: 30_000 });
    // The timeline redraws at most twice a second: wait for the lanes of the whole stream.
    await page.waitForFunction(() => document.querySelectorAll('#timeline section.lane svg').length === 3, undefined, { timeout: 10_000 });
    const lanes: Lane[] = await page.$$eval('#timeline section.lane', (ss) => (ss as HTMLElement[]).map((s) => {
      const labels = Array.from(s.querySelectorAll('svg > text.phase-label')).map((t) => t.textContent ?? '').filter((t) => /^-?[\d.]+ /.test(t));
      const [from, unit] = labels.at(-2)!.split(' ');
      return {
        boot: s.dataset['boot']!, title: s.querySelector('h3')!.textContent!, points: Number(s.querySelector('svg')!.dataset['points']),
        from: Number(from), to: Number(labels.at(-1)!.split(' ')[0]), unit: labels.at(-1)!.slice(labels.at(-1)!.indexOf(' ') + 1) || unit!,
      };
    }));
    expect(lanes.map((l) => [l.boot, l.title])).toEqual([
      ['kernel 1', 'kernel 1'],
      ['handover 2', 'handover, device side only (no time: drawn by place in the stream)'],
      ['kernel 2', 'kernel 2 (after kexec)'],
    ]);
    const [k1, handover, k2] = lanes as [Lane, Lane, Lane];
    // Each kernel on its own trace clock, seconds since its own boot (the capture's kernel 2 runs
    // from 1.9 s to 4.8 s; kernel 1 from about 1.2 s to 4.1 s): no axis reaches 1122.
    expect([k1.unit, k2.unit]).toEqual(['s', 's']);
    expect(k1.to).toBeLessThan(10);
    expect(k2.from).toBeGreaterThan(1);
    expect(k2.to).toBeLessThan(10);
    // The handover: the old kernel's 31 shutdown writes, by their place in the stream.
    expect(handover.unit).toBe('access index');
    expect(handover.points).toBe(31);
    // Every access drawn once, in exactly one lane.
    const total = await page.evaluate(() => (window as unknown as { cfgscope: { store: { end: { counts: { accesses: number } } } } }).cfgscope.store.end.counts.accesses);
    expect(k1.points + handover.points + k2.points).toBe(total);
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);
});
