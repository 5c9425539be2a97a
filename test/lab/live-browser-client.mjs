// Host side of the live lab, browser part: Debian's headless Chromium (playwright-core) opens the
// page `capture --listen` serves in the guest, through QEMU's hostfwd, retrying until the guest
// serves. Every row the page adds to its findings table (#findings tbody tr, identified by its
// data-seq: the stream's seq of that finding) is reported the moment it is inserted, by a
// MutationObserver calling an exposed function; Node stamps it with the host's CLOCK_MONOTONIC
// (process.hrtime, the clock of the other host clients' logs) and appends
// `<host ns> {"seq":..,"verdict":..,"bdf":..,"register":..}` to the log. Rows are logged whether the
// page's filters show them or not (the table creates every row, filters only hide them).
// Ends when the page's store has the stream's end and a row for every finding.
//   node live-browser-client.mjs <page url with ?token=> <log file>
import { appendFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../package.json', import.meta.url));
const { chromium } = require('playwright-core');
const [url, log] = process.argv.slice(2);
writeFileSync(log, '');
const note = (text) => appendFileSync(log, `${process.hrtime.bigint()} ${text}\n`);

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
const page = await browser.newPage();
await page.exposeFunction('cfgscopeLabRow', (row) => note(JSON.stringify(row)));
page.on('pageerror', (e) => note(`# pageerror ${e.message}`));
// Runs before the page's own scripts: rows are observed from the first one on.
await page.addInitScript(() => {
  const seen = new Set();
  new MutationObserver((records) => {
    for (const r of records) {
      for (const n of r.addedNodes) {
        if (n.nodeName !== 'TR' || !n.closest?.('#findings tbody') || seen.has(n.dataset.seq)) continue;
        seen.add(n.dataset.seq);
        window.cfgscopeLabRow({ seq: Number(n.dataset.seq), verdict: n.dataset.verdict, bdf: n.dataset.bdf, register: n.cells[3]?.firstChild?.textContent ?? '' });
      }
    }
  }).observe(document, { childList: true, subtree: true });
});

// Until the guest's capture serves, QEMU accepts the forwarded connection and drops it.
for (;;) {
  try {
    await page.goto(url, { timeout: 10_000 });
    if (await page.$('#findings')) break;
  } catch { /* not served yet */ }
  await new Promise((r) => setTimeout(r, 1000));
}
note('# page loaded');
for (;;) {
  const done = await page.evaluate(() => {
    const s = window.cfgscope?.store;
    return !!s && s.end !== null && document.querySelectorAll('#findings tbody tr').length === s.findings.length;
  }).catch(() => false);
  if (done) break;
  await new Promise((r) => setTimeout(r, 500));
}
note('# end: the page has the stream\'s end and a row for every finding');
await browser.close();
