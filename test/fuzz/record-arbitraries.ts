// Hostile capture records, made by mutating real records of a real capture (replays/). Two kinds:
// - out-of-range records: each breaks a documented range or type of docs/capture-format.md (the
//   oracle is written here from the doc, not taken from the code under test), so the reader must
//   skip it with a code and its line, and it must change no verdict;
// - hostile strings: valid records whose strings carry terminal escapes, forged lines and markup,
//   which every text output must print escaped.
import fc from 'fast-check';
import { readFileSync } from 'node:fs';

export interface HostileLine {
  /** what is hostile about it: `access.size=3`, `type=__proto__`, `nesting=5000`... */
  tag: string;
  text: string;
}

export interface BaseCapture {
  file: string;
  lines: string[];
  /** indexes of `access` lines that are writes with a known target (the ones policies judge) */
  writes: number[];
  /** indexes of `device`, `stack` and `phase` lines */
  devices: number[];
  stacks: number[];
  phases: number[];
  /** the highest stack id, so that new stack records get fresh ids */
  maxStackId: number;
}

export function loadBase(file: string): BaseCapture {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  const base: BaseCapture = { file, lines, writes: [], devices: [], stacks: [], phases: [], maxStackId: 0 };
  lines.forEach((l, i) => {
    const r = JSON.parse(l) as Record<string, unknown>;
    if (r['t'] === 'access' && r['op'] === 'w' && r['known'] === true) base.writes.push(i);
    else if (r['t'] === 'device') base.devices.push(i);
    else if (r['t'] === 'stack') { base.stacks.push(i); base.maxStackId = Math.max(base.maxStackId, r['id'] as number); }
    else if (r['t'] === 'phase') base.phases.push(i);
  });
  return base;
}

/** Values outside each access field's documented range or type, as raw JSON (1e400 parses to Infinity). */
const BAD_ACCESS_FIELDS: Record<string, readonly string[]> = {
  op: ['"x"', '"W"', '""', 'null', '1', '"rw"', '"__proto__"', '"toString"'],
  size: ['0', '3', '8', '-4', '2.5', '"4"', 'null', '1e400', '16'],
  off: ['4.5', '-4', '4096', '65536', '1e300', '"0x10"', '-0.5', '1e400', '4294967300'],
  bus: ['256', '258', '-1', '1.5', '"2"', '1e400', '-254'],
  devfn: ['256', '-1', '0.5', '"0"', '512'],
  seg: ['65536', '-1', '0.5', '"0"'],
  val: ['-1', '4294967296', '9007199254740993', '1.5', '"0xff"', 'true', '1e400', '-4294967295'],
  ts: ['"2.1"', 'true', '[]', '{}', '1e400', '-1e400'],
  cpu: ['1.5', '"x"', '{}', '1e400'],
  pid: ['1.5', '"x"', '[]'],
  known: ['"yes"', '1', '"true"'],
  layer: ['"bogus"', '1', '"__proto__"', '"toString"', '"constructor"', 'null'],
  fn: ['1', '["pci_bus_write_config_word"]', '{}', 'true'],
  stack: ['-1', '1.5', '"1"', '{}'],
  comm: ['1', '[]', '{}', 'true'],
  line: ['-1', '1.5', '"7"', '[]'],
};

/** Record types that a plain-object lookup table would find on Object.prototype. */
export const PROTO_NAMES = ['__proto__', 'toString', 'constructor', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString'] as const;

const MARK = '@@cfgscope-fuzz-raw@@';

/** A record serialised with some of its fields replaced by raw JSON text. */
function withRawFields(record: Record<string, unknown>, raw: Record<string, string>): string {
  const copy: Record<string, unknown> = { ...record };
  const keys = Object.keys(raw);
  for (const k of keys) copy[k] = MARK;
  let text = JSON.stringify(copy);
  for (const k of keys) text = text.replace(`${JSON.stringify(k)}:"${MARK}"`, `${JSON.stringify(k)}:${raw[k]}`);
  return text;
}

const parse = (line: string): Record<string, unknown> => JSON.parse(line) as Record<string, unknown>;

/** A real write with 1 to 3 fields out of range; sometimes with an `__proto__` key next to them. */
function badAccess(base: BaseCapture): fc.Arbitrary<HostileLine> {
  const fields = Object.keys(BAD_ACCESS_FIELDS);
  return fc.record({
    at: fc.constantFrom(...base.writes),
    bad: fc.uniqueArray(fc.constantFrom(...fields), { minLength: 1, maxLength: 3 }).chain((ks) =>
      fc.tuple(...ks.map((k) => fc.constantFrom(...BAD_ACCESS_FIELDS[k]!).map((v) => [k, v] as const)))),
    protoKey: fc.boolean(),
  }).map(({ at, bad, protoKey }) => {
    const raw = Object.fromEntries(bad);
    let text = withRawFields(parse(base.lines[at]!), raw);
    if (protoKey) text = text.replace(/}$/, ',"__proto__":{"op":"w","size":4}}');
    return { tag: bad.map(([k, v]) => `access.${k}=${v}`).join(','), text };
  });
}

/** Ranges that only show together: a value wider than the access, an access past config space. */
function badAccessCombination(base: BaseCapture): fc.Arbitrary<HostileLine> {
  return fc.record({ at: fc.constantFrom(...base.writes), kind: fc.constantFrom('val-wider-than-size', 'past-config-space') }).map(({ at, kind }) => {
    const r = parse(base.lines[at]!);
    if (kind === 'val-wider-than-size') return { tag: 'access.val>size', text: JSON.stringify({ ...r, size: 1, val: 0x1ff }) };
    return { tag: 'access.off+size>4096', text: JSON.stringify({ ...r, size: 4, off: 4094 }) };
  });
}

/** A deeply nested value where a string belongs, or as the whole record. */
export function deepNesting(maxDepth: number): fc.Arbitrary<HostileLine> {
  return fc.record({ depth: fc.integer({ min: 1000, max: maxDepth }), where: fc.constantFrom('comm', 'whole', 'frames', 'proto') }).map(({ depth, where }) => {
    const nest = '['.repeat(depth) + ']'.repeat(depth);
    const text = where === 'whole' ? nest
      : where === 'frames' ? `{"t":"stack","id":999999,"frames":${nest}}`
        : where === 'proto' ? `{"t":"access","__proto__":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`
          : `{"t":"access","ts":1,"cpu":0,"pid":1,"comm":${nest},"op":"w","seg":0,"bus":0,"devfn":0,"off":4,"size":2,"val":0,"ret":null,"layer":"bus","fn":"pci_bus_write_config_word","stack":null,"known":true}`;
    return { tag: `nesting=${where}`, text };
  });
}

/** Records of other types with a field out of range or of the wrong type. */
function badOtherRecord(base: BaseCapture): fc.Arbitrary<HostileLine> {
  const fresh = base.maxStackId + 1000;
  const device = (raw: Record<string, string>): fc.Arbitrary<HostileLine> => fc.constantFrom(...base.devices).map((at) => ({
    tag: `device.${Object.keys(raw).join(',')}=${Object.values(raw).join(',')}`, text: withRawFields(parse(base.lines[at]!), raw),
  }));
  return fc.oneof(
    fc.constantFrom(...PROTO_NAMES, 'ACCESS', 'access ', '', 'stack\u0000').map((t) => ({ tag: `type=${t}`, text: `{"t":${JSON.stringify(t)},"op":"w","bus":2,"devfn":0,"off":4,"size":2,"val":0}` })),
    fc.constantFrom('[1]', 'null', '42', '"access"', '{}', '{"t":null}', '{"t":1}', '{"t":["access"]}', '{"t\\u0000":"access"}').map((text) => ({ tag: `shape=${text}`, text })),
    fc.constantFrom('[1,null,{}]', '"pci_bus_write_config_word"', '{}', '[["a"]]', 'null').map((f) => ({ tag: `stack.frames=${f}`, text: `{"t":"stack","id":${fresh},"frames":${f}}` })),
    fc.constantFrom('-1', '1.5', '"7"', 'null').map((id) => ({ tag: `stack.id=${id}`, text: `{"t":"stack","id":${id},"frames":["pci_bus_write_config_word","x"]}` })),
    fc.constantFrom<Record<string, string>>(
      { bdf: '"0000:100:00.0"' }, { bdf: '"zz"' }, { bdf: '7' }, { vendor: '70000' }, { vendor: '-1' },
      { class: '16777216' }, { headerType: '256' }, { caps: '[{"id":-1,"off":300}]' }, { caps: '"x"' }, { config: '7' },
    ).chain(device),
    fc.constantFrom<Record<string, string>>({ label: '1' }, { index: '1.5' }, { ts: '"x"' }, { label: '{"toString":1}' }).map((raw) => ({
      tag: `phase.${Object.keys(raw)[0]}=${Object.values(raw)[0]}`,
      text: withRawFields({ t: 'phase', ts: null, label: 'PHASE[9] x', index: 9, line: 1 }, raw),
    })),
    fc.constantFrom('-5', '1.5', '"x"', '1e400').map((c) => ({ tag: `lost.count=${c}`, text: `{"t":"lost","count":${c},"ts":null,"cpu":null,"reason":"bpftrace","line":1}` })),
    fc.constantFrom('1.5', '"x"', '-3').map((o) => ({ tag: `nested.of=${o}`, text: `{"t":"nested","layer":"function","of":${o},"line":1}` })),
  );
}

/** A real record cut off mid-line. */
function cutRecord(base: BaseCapture): fc.Arbitrary<HostileLine> {
  return fc.record({ at: fc.constantFrom(...base.writes), frac: fc.double({ min: 0.05, max: 0.95, noNaN: true }) }).map(({ at, frac }) => {
    const l = base.lines[at]!;
    return { tag: 'cut', text: l.slice(0, Math.max(1, Math.floor(l.length * frac))) };
  });
}

/** One record that breaks a documented range or type (docs/capture-format.md). */
export function outOfRangeRecord(base: BaseCapture, maxDepth: number): fc.Arbitrary<HostileLine> {
  return fc.oneof(
    { weight: 6, arbitrary: badAccess(base) },
    { weight: 1, arbitrary: badAccessCombination(base) },
    { weight: 3, arbitrary: badOtherRecord(base) },
    { weight: 1, arbitrary: deepNesting(maxDepth) },
    { weight: 1, arbitrary: cutRecord(base) },
  );
}

export interface Insertion { after: number; line: HostileLine }

/** Hostile records inserted right after real records of the capture (never before its header). */
export function insertions(base: BaseCapture, maxDepth: number, max: number): fc.Arbitrary<Insertion[]> {
  return fc.array(fc.record({ after: fc.integer({ min: 0, max: base.lines.length - 2 }), line: outOfRangeRecord(base, maxDepth) }), { minLength: 1, maxLength: max });
}

/** The capture's lines with the insertions; returns the 1-based line number of each inserted record. */
export function applyInsertions(base: BaseCapture, ins: readonly Insertion[]): { text: string; lineOf: number[] } {
  const after = new Map<number, number[]>();
  ins.forEach((x, i) => after.set(x.after, [...(after.get(x.after) ?? []), i]));
  const out: string[] = [];
  const lineOf: number[] = [];
  base.lines.forEach((l, i) => {
    out.push(l);
    for (const k of after.get(i) ?? []) {
      out.push(ins[k]!.line.text);
      lineOf[k] = out.length;
    }
  });
  return { text: `${out.join('\n')}\n`, lineOf };
}

/** Strings made to attack a terminal, a line-oriented reader or a Markdown renderer. */
export const HOSTILE_FRAGMENTS = [
  '\u001b[2J', '\u001b]0;pwned\u0007', '\u001b[31m', '\r', '\nFORGED VIOLATION critical 0000:02:00.0 COMMAND', '\r\nFORGED line',
  '\u0000', '\u007f', '\u0085', '\u009b31m', '\u202e', '\u2066', '|', '<img src=x onerror=alert(1)>', '`', '](javascript:alert(1))', '\\', '%n%s',
] as const;

export function hostileString(): fc.Arbitrary<string> {
  return fc.tuple(fc.string({ maxLength: 8 }), fc.array(fc.constantFrom(...HOSTILE_FRAGMENTS), { minLength: 1, maxLength: 3 }), fc.string({ maxLength: 8 }))
    .map(([a, frags, b]) => `x${a}${frags.join('y')}${b}`);
}

export interface StringEdit { line: number; path: string; value: string }

/** Real records with one string replaced by a hostile one: still valid records. */
export function stringEdits(base: BaseCapture): fc.Arbitrary<StringEdit[]> {
  const header = 0;
  const choices = fc.oneof(
    fc.constantFrom(...base.writes).map((line) => ({ line, path: 'comm' })),
    fc.constantFrom(...base.stacks).map((line) => ({ line, path: 'frames.1' })),
    fc.constantFrom(...base.phases).map((line) => ({ line, path: 'label' })),
    fc.constantFrom(...base.devices).map((line) => ({ line, path: 'driver' })),
    fc.constant({ line: header, path: 'kernel.cmdline' }),
    fc.constant({ line: header, path: 'host' }),
    fc.constant({ line: header, path: 'kernel.release' }),
  );
  return fc.array(fc.tuple(choices, hostileString()).map(([c, value]) => ({ ...c, value })), { minLength: 1, maxLength: 4 });
}

export function applyStringEdits(base: BaseCapture, edits: readonly StringEdit[]): string {
  const lines = [...base.lines];
  for (const e of edits) {
    const r = parse(lines[e.line]!);
    const keys = e.path.split('.');
    let o: Record<string, unknown> = r;
    for (const k of keys.slice(0, -1)) {
      if (typeof o[k] !== 'object' || o[k] === null) o[k] = {};
      o = o[k] as Record<string, unknown>;
    }
    o[keys[keys.length - 1]!] = e.value;
    lines[e.line] = JSON.stringify(r);
  }
  return `${lines.join('\n')}\n`;
}

/** Every single out-of-range value of BAD_ACCESS_FIELDS on one real write: the exhaustive table. */
export function everyBadAccess(base: BaseCapture, at: number): HostileLine[] {
  const r = parse(base.lines[at]!);
  return Object.entries(BAD_ACCESS_FIELDS).flatMap(([k, values]) => values.map((v) => ({ tag: `access.${k}=${v}`, text: withRawFields(r, { [k]: v }) })));
}

/** The issue's own examples (off 4.5, size 3 and 8, bus 256, negative devfn/val/off, unknown op, non-string frames, toString/__proto__ types). */
export function issueExamples(base: BaseCapture, at: number): Insertion[][] {
  const r = parse(base.lines[at]!);
  const one = (raw: Record<string, string>): HostileLine => ({ tag: Object.entries(raw).map(([k, v]) => `access.${k}=${v}`).join(','), text: withRawFields(r, raw) });
  // One capture holds all of them (one process per command checks the lot).
  return [
    [
      ...([{ off: '4.5' }, { size: '3' }, { size: '8' }, { bus: '256' }, { devfn: '-1' }, { val: '-1' }, { off: '-4' }, { op: '"x"' }] as Record<string, string>[]).map((raw) => ({ after: at, line: one(raw) })),
      { after: at, line: { tag: 'stack.frames=[1,null,{}]', text: `{"t":"stack","id":${base.maxStackId + 1000},"frames":[1,null,{}]}` } },
      { after: at, line: { tag: 'type=toString', text: '{"t":"toString","op":"w","bus":2,"devfn":0,"off":4,"size":2,"val":0}' } },
      { after: at, line: { tag: 'type=__proto__', text: '{"t":"__proto__","op":"w","bus":2,"devfn":0,"off":4,"size":2,"val":0}' } },
    ],
    // Deep nesting where a string belongs: found by npm run fuzz (depth 5,000 and more overflowed the stack).
    [{ after: at, line: { tag: 'nesting=comm', text: withRawFields(r, { comm: `${'['.repeat(20_000)}${']'.repeat(20_000)}` }) } }],
  ];
}
