// The generators really make the hostile shapes the properties claim to cover (no process runs
// here): a property over a generator that never produced, say, a `__proto__` type or a deep
// nesting would pass without having tested anything.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { applyLineMutations, byteMutation, lineMutation } from './capture-arbitraries.js';
import { ROOT } from './cli-process.js';
import { DEFAULT_SEED } from './fuzz-config.js';
import { applyPolicyMutations, POLICY_BASE_NAMES, policyBases, policyMutation } from './policy-arbitraries.js';
import { everyBadAccess, hostileString, loadBase, outOfRangeRecord, PROTO_NAMES, stringEdits } from './record-arbitraries.js';
import { rawHtmlIn } from './invariants.js';
import { clientMessage, rawRequest } from './serve-arbitraries.js';

const base = loadBase(join(ROOT, 'replays/qemu-6.1-q35-basic/kernel.capture.ndjson'));
const sample = <T>(arb: fc.Arbitrary<T>, n = 400): T[] => fc.sample(arb, { seed: DEFAULT_SEED, numRuns: n });

describe('fuzz: generators', () => {
  it('generators: out-of-range records cover every documented field, prototype names, nesting and cuts', () => {
    const tags = sample(outOfRangeRecord(base, 5000), 2000).map((l) => l.tag).join('\n');
    for (const f of ['op', 'size', 'off', 'bus', 'devfn', 'seg', 'val', 'ts', 'known', 'layer', 'fn', 'stack', 'comm', 'line']) expect(tags).toContain(`access.${f}=`);
    for (const t of ['type=__proto__', 'type=toString', 'type=constructor', 'stack.frames=', 'stack.id=', 'device.', 'phase.', 'lost.count=', 'nested.of=', 'nesting=', 'cut', 'access.val>size']) expect(tags).toContain(t);
    // Every raw field replacement really happened (no placeholder left in a record).
    for (const l of sample(outOfRangeRecord(base, 5000), 500)) expect(l.text).not.toContain('@@cfgscope-fuzz-raw@@');
    const table = everyBadAccess(base, base.writes[0]!);
    expect(table.length).toBeGreaterThan(80);
    for (const l of table) expect(l.text).not.toContain('@@cfgscope-fuzz-raw@@');
  });

  it('generators: hostile strings carry escapes, forged lines, control and bidi characters', () => {
    const all = sample(hostileString(), 600).join('');
    for (const c of ['\u001b[', '\nFORGED', '\r', '\u0000', '\u009b', '\u202e', '<img']) expect(all).toContain(c);
    const edits = sample(stringEdits(base), 200).flat();
    for (const p of ['comm', 'frames.1', 'label', 'driver', 'kernel.cmdline']) expect(edits.some((e) => e.path === p)).toBe(true);
  });

  it('generators: capture and packed mutations cover every kind and really change the bytes', () => {
    const kinds = new Set(sample(lineMutation(5000), 1000).map((m) => m.kind));
    expect([...kinds].sort()).toEqual(['bom', 'crlf', 'deep-line', 'drop-header', 'drop-stack', 'drop-trailer', 'dup-header', 'dup-line', 'empty', 'garbage-line', 'huge-line', 'nul-in-line', 'swap-lines', 'trailer-incomplete', 'trailer-middle', 'truncate-bytes', 'version-2']);
    const text = base.lines.join('\n');
    expect(applyLineMutations(text, [{ kind: 'drop-trailer' }], 10).toString()).not.toContain('"t":"trailer"');
    expect(applyLineMutations(text, [{ kind: 'garbage-line', at: 0.5, bytes: [0xff, 0xfe] }], 10).includes(Buffer.from([0xff, 0xfe]))).toBe(true);
    expect(new Set(sample(byteMutation(), 200).map((m) => m.kind))).toEqual(new Set(['flip', 'flip-access', 'truncate', 'overwrite']));
  });

  it('generators: policies get proto keys, device extends, thousands of rules and deep nesting', () => {
    const bases = policyBases();
    expect(bases.length).toBe(POLICY_BASE_NAMES.length);
    expect(POLICY_BASE_NAMES).toContain('luo-default');
    const texts = sample(fc.tuple(fc.nat({ max: bases.length - 1 }), fc.array(policyMutation(3000, 2000), { minLength: 1, maxLength: 4 })), 400)
      .map(([b, m]) => applyPolicyMutations(bases[b]!, m));
    expect(texts.some((t) => t.includes('"__proto__"'))).toBe(true);
    expect(texts.some((t) => t.includes('/dev/zero'))).toBe(true);
    expect(texts.some((t) => (t.match(/"register": "\*"/g) ?? []).length > 500)).toBe(true);
    expect(texts.some((t) => /(\[\s*){500}/.test(t))).toBe(true);
    expect(texts.some((t) => t.includes('\\u001b'))).toBe(true);
  });

  it('generators: the Markdown oracle tells raw HTML from escaped and code-span HTML', () => {
    expect(rawHtmlIn('a <img src=x> b')).toBe(true);
    expect(rawHtmlIn('a `<img src=x>` b')).toBe(false);
    expect(rawHtmlIn('a ``x`<img src=x>`` b')).toBe(false);
    expect(rawHtmlIn('a \\<img src=x> b')).toBe(false);
    expect(rawHtmlIn('a `x` <img src=x> `y`')).toBe(true);
    expect(rawHtmlIn('a ``x` <img')).toBe(true);
  });

  it('generators: serve gets deep nesting, prototype-named types, binary frames and broken requests', () => {
    const msgs = sample(clientMessage(30_000), 600);
    expect(msgs.some((m) => m.kind === 'text' && m.text.startsWith('{"type":"ping","id":[[[[') && m.text.length > 10_000)).toBe(true);
    for (const t of PROTO_NAMES.slice(0, 3)) expect(msgs.some((m) => m.kind === 'text' && m.text.startsWith(`{"type":"${t}"`))).toBe(true);
    expect(new Set(msgs.map((m) => m.kind))).toEqual(new Set(['text', 'binary', 'invalid-utf8', 'oversize']));
    const reqs = sample(rawRequest(), 600);
    expect(reqs.some((r) => r.target === '//')).toBe(true);
    expect(reqs.some((r) => r.headers.some(([k, v]) => k === 'Cookie' && v.includes('%E0%A4%A')))).toBe(true);
  });
});
