// The seq cursor of the terminal client and of the page on the protocol's situations: duplicates
// after a rewind, a gap holding the resume point until it is re-sent, a filtered subscription
// whose events are not consecutive. The page's is the module a real `cfgscope serve` (the built
// CLI) makes from the same class (/js/seq-cursor.js), imported alone as the page imports it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeqCursor } from '../../src/server/seq-cursor.js';
import { importServed } from '../support/served-module.js';
import { kill, startServe, type ServeProcess } from '../support/serve-process.js';

interface Cursor { accept(seq: number): boolean; cursor(seq: number): void; gap(from: number): void; subscribed(): void; resumeFrom(): number }

let serve: ServeProcess;
let Served: new () => Cursor;
beforeAll(async () => {
  serve = await startServe(0, ['--fast']);
  ({ SeqCursor: Served } = await importServed(serve.http, '/js/seq-cursor.js') as { SeqCursor: new () => Cursor });
}, 30_000);
afterAll(async () => { await kill(serve); });

describe.each([['src/server', () => new SeqCursor() as Cursor], ['served to the page', () => new Served()]])('SeqCursor (%s)', (_name, make) => {
  it('accepts each seq once, in any order', () => {
    const c = make();
    expect([1, 2, 4, 3, 2, 4, 5].map((s) => c.accept(s))).toEqual([true, true, true, true, false, false, true]);
    expect(c.resumeFrom()).toBe(6);
  });

  it('resumes after a hole only once a cursor says nothing in it matched', () => {
    const c = make();
    c.accept(1); c.accept(2); c.accept(7); // a filtered subscription: 3..6 did not match
    expect(c.resumeFrom()).toBe(3);
    c.cursor(9); // heartbeat: everything matching up to 9 was sent
    expect(c.resumeFrom()).toBe(10);
    expect(c.accept(7)).toBe(false);
  });

  it('keeps the resume point at a gap until the server confirms the re-request', () => {
    const c = make();
    for (let s = 1; s <= 10; s++) c.accept(s);
    c.gap(11); // 11..20 dropped
    c.cursor(20);
    for (const s of [21, 22]) c.accept(s);
    c.cursor(22);
    expect(c.resumeFrom()).toBe(11);
    c.subscribed(); // subscribe from 11 confirmed: history re-sent from there
    const again = [];
    for (let s = 11; s <= 23; s++) again.push(c.accept(s));
    expect(again).toEqual([...Array(10).fill(true), false, false, true]);
    expect(c.resumeFrom()).toBe(24);
  });

  it('ignores a gap below what it already has', () => {
    const c = make();
    for (let s = 1; s <= 5; s++) c.accept(s);
    c.gap(3);
    c.cursor(8);
    expect(c.resumeFrom()).toBe(9);
  });
});
