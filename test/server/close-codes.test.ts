// One close-code table (src/server/close-codes.ts) for the server, `watch` and the page: the page
// imports it from the server as /js/close-codes.js (made from the same table), web/ holds no copy,
// and watch's fatal closes are the table's. test/web/live-page.test.ts sees the page read it
// (closed 4401: missing or wrong token); test/watch/watch-command.test.ts sees watch read it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { FATAL_CLOSES } from '../../src/server/close-codes.js';
import type { ServeHandle } from '../../src/server/serve-events.js';
import { QEMU_BASIC, root, serveCapture } from './capture-server.js';

describe('the close-code table', () => {
  let server: ServeHandle;
  beforeAll(async () => { server = await serveCapture(QEMU_BASIC, '0000:02:00.0', { token: 'sesame' }); });
  afterAll(async () => { await server.close(); });

  it('is served to the page as a module made from the server\'s table', async () => {
    const res = await fetch(`${server.url}/js/close-codes.js?token=sesame`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const text = await res.text();
    expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(text));
    const m = await import(`data:text/javascript;base64,${Buffer.from(text).toString('base64')}`) as { FATAL_CLOSES: unknown };
    expect(m.FATAL_CLOSES).toEqual(FATAL_CLOSES);
    expect(FATAL_CLOSES.map(([code]) => code).sort()).toEqual([1009, 4400, 4401, 4404, 4422]);
    const head = await fetch(`${server.url}/js/close-codes.js?token=sesame`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('needs the token like every other file of the page', async () => {
    expect((await fetch(`${server.url}/js/close-codes.js`)).status).toBe(401);
  });

  it('has no copy in web/ or watch: no close code is written out there', () => {
    const web = readdirSync(`${root}web`, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
    const sources = [...web.map((f) => `${root}web/${f}`), ...readdirSync(`${root}src/watch`).map((f) => `${root}src/watch/${f}`)];
    for (const f of sources) expect(readFileSync(f, 'utf8'), f).not.toMatch(/\b(4400|4401|4404|4422|1009)\b/);
  });
});
