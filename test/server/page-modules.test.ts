// The page's modules made from the program's own code (src/server/page-modules.ts): the boot
// names of src/model/boots.ts and the seq cursor of src/server/seq-cursor.ts, served by a real
// `cfgscope serve` (the built, bundled CLI) and imported alone as the browser imports them; web/
// keeps no copy. test/web/boot-lanes.test.ts sees the page title its lanes with them and
// test/server/seq-cursor.test.ts runs the served cursor through the protocol's cases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { bootName, bootOrder, type BootRef } from '../../src/model/boots.js';
import { pageModules } from '../../src/server/page-modules.js';
import { importServed } from '../support/served-module.js';
import { kill, root, startServe, type ServeProcess } from '../support/serve-process.js';

const BOOTS: BootRef[] = [
  { kernel: 1 }, { kernel: 2, handover: true }, { kernel: 2, handover: true, kernelSide: true }, { kernel: 2 },
  { kernel: 3, handover: true }, { kernel: 3, handover: true, kernelSide: true }, { kernel: 3 },
];

let serve: ServeProcess;
beforeAll(async () => { serve = await startServe(0, ['--fast', '--token', 'sesame']); }, 30_000);
afterAll(async () => { await kill(serve); });

describe('page modules made from the program\'s code', () => {
  it('serves boots.js: the same names and order as src/model/boots.ts, for every kind of boot', async () => {
    const m = await importServed(serve.http, '/js/boots.js?token=sesame') as { bootName: typeof bootName; bootOrder: typeof bootOrder };
    expect(BOOTS.map((b) => m.bootName(b))).toEqual(BOOTS.map(bootName));
    expect(BOOTS.map((b) => m.bootName(b))).toEqual([
      'kernel 1', 'handover, device side only', "handover, old kernel's shutdown, kernel side", 'kernel 2 (after kexec)',
      'handover to kernel 3, device side only', "handover to kernel 3, old kernel's shutdown, kernel side", 'kernel 3 (after kexec)',
    ]);
    expect(BOOTS.map((b) => m.bootOrder(b))).toEqual(BOOTS.map(bootOrder));
  });

  it('needs the token like every other file of the page', async () => {
    for (const path of ['/js/boots.js', '/js/seq-cursor.js']) expect((await fetch(`${serve.http}${path}`)).status, path).toBe(401);
  });

  it('makes modules that stand alone in this process too (no compiler helper or outside name in them)', async () => {
    for (const [path, text] of pageModules()) {
      const m = await import(`data:text/javascript;base64,${Buffer.from(text).toString('base64')}`) as Record<string, unknown>;
      expect(Object.keys(m).length, path).toBeGreaterThan(0);
    }
  });

  it('has no copy in web/: no file of the page defines them', () => {
    const web = readdirSync(`${root}web`, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
    expect(web).not.toContain('js/seq-cursor.js');
    expect(web).not.toContain('js/boots.js');
    for (const f of web) expect(readFileSync(`${root}web/${f}`, 'utf8'), f).not.toMatch(/\b(function|const) (bootName|bootOrder)\b|\bclass SeqCursor\b/);
  });
});
