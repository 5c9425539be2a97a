// Whole-capture mutations of a real NDJSON capture: cut, reordered, duplicated, stripped of its
// header or trailer, with garbage bytes, huge or deeply nested lines, other line ends. And byte
// mutations of a packed capture (bit flips, truncation, overwritten ranges).
import fc from 'fast-check';
import { deepNesting } from './record-arbitraries.js';

export type LineMutation =
  | { kind: 'truncate-bytes'; frac: number }
  | { kind: 'drop-trailer' } | { kind: 'trailer-incomplete' } | { kind: 'drop-header' } | { kind: 'dup-header'; at: number }
  | { kind: 'trailer-middle'; at: number } | { kind: 'swap-lines'; a: number; b: number } | { kind: 'drop-stack'; nth: number }
  | { kind: 'dup-line'; at: number } | { kind: 'garbage-line'; at: number; bytes: number[] } | { kind: 'huge-line'; at: number; quoted: boolean }
  | { kind: 'deep-line'; at: number; text: string } | { kind: 'crlf' } | { kind: 'bom' } | { kind: 'version-2' } | { kind: 'empty' }
  | { kind: 'nul-in-line'; at: number; frac: number };

/** A position as a fraction of the file, so that one mutation fits any capture. */
const frac = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });

export function lineMutation(maxDepth: number): fc.Arbitrary<LineMutation> {
  return fc.oneof(
    frac.map((f) => ({ kind: 'truncate-bytes' as const, frac: f })),
    fc.constantFrom({ kind: 'drop-trailer' as const }, { kind: 'trailer-incomplete' as const }, { kind: 'drop-header' as const },
      { kind: 'crlf' as const }, { kind: 'bom' as const }, { kind: 'version-2' as const }, { kind: 'empty' as const }),
    frac.map((at) => ({ kind: 'dup-header' as const, at })),
    frac.map((at) => ({ kind: 'trailer-middle' as const, at })),
    fc.tuple(frac, frac).map(([a, b]) => ({ kind: 'swap-lines' as const, a, b })),
    fc.nat({ max: 300 }).map((nth) => ({ kind: 'drop-stack' as const, nth })),
    frac.map((at) => ({ kind: 'dup-line' as const, at })),
    fc.tuple(frac, fc.array(fc.nat({ max: 255 }), { minLength: 1, maxLength: 64 })).map(([at, bytes]) => ({ kind: 'garbage-line' as const, at, bytes })),
    fc.tuple(frac, fc.boolean()).map(([at, quoted]) => ({ kind: 'huge-line' as const, at, quoted })),
    fc.tuple(frac, deepNesting(maxDepth)).map(([at, l]) => ({ kind: 'deep-line' as const, at, text: l.text })),
    fc.tuple(frac, frac).map(([at, f]) => ({ kind: 'nul-in-line' as const, at, frac: f })),
  );
}

/** Marks a garbage line, held as hex until the bytes are written (they need not be UTF-8). */
const GARBAGE = '\u0001garbage:';

const lineAt = (lines: readonly unknown[], f: number): number => Math.min(lines.length - 1, 1 + Math.floor(f * (lines.length - 1)));

/** The capture's bytes after the mutations, in order. */
export function applyLineMutations(text: string, muts: readonly LineMutation[], hugeLine: number): Buffer {
  let lines = text.split('\n').filter((l) => l !== '');
  let cut: number | null = null;
  let crlf = false;
  let bom = false;
  for (const m of muts) {
    if (lines.length === 0) break;
    switch (m.kind) {
      case 'truncate-bytes': cut = Math.floor(m.frac * Buffer.byteLength(lines.join('\n'))); break;
      case 'drop-trailer': lines = lines.filter((l) => !l.startsWith('{"t":"trailer"')); break;
      case 'trailer-incomplete': lines = lines.map((l) => (l.startsWith('{"t":"trailer"') ? l.replace('"complete":true', '"complete":false') : l)); break;
      case 'drop-header': lines = lines.filter((l) => !l.startsWith('{"t":"header"')); break;
      case 'dup-header': lines.splice(lineAt(lines, m.at), 0, lines[0]!); break;
      case 'trailer-middle': {
        const t = lines.findIndex((l) => l.startsWith('{"t":"trailer"'));
        if (t >= 0) lines.splice(lineAt(lines, m.at), 0, ...lines.splice(t, 1));
        break;
      }
      case 'swap-lines': {
        const a = lineAt(lines, m.a);
        const b = lineAt(lines, m.b);
        [lines[a], lines[b]] = [lines[b]!, lines[a]!];
        break;
      }
      case 'drop-stack': {
        const stacks = lines.flatMap((l, i) => (l.startsWith('{"t":"stack"') ? [i] : []));
        if (stacks.length > 0) lines.splice(stacks[m.nth % stacks.length]!, 1);
        break;
      }
      case 'dup-line': { const i = lineAt(lines, m.at); lines.splice(i, 0, lines[i]!); break; }
      case 'garbage-line': lines.splice(lineAt(lines, m.at), 0, GARBAGE + Buffer.from(m.bytes.filter((b) => b !== 10)).toString('hex')); break;
      case 'huge-line': lines.splice(lineAt(lines, m.at), 0, m.quoted ? `{"t":"access","comm":"${'a'.repeat(hugeLine)}"}` : 'a'.repeat(hugeLine)); break;
      case 'deep-line': lines.splice(lineAt(lines, m.at), 0, m.text); break;
      case 'crlf': crlf = true; break;
      case 'bom': bom = true; break;
      case 'version-2': lines[0] = lines[0]!.replace('"version":1', '"version":2'); break;
      case 'empty': lines = []; break;
      case 'nul-in-line': {
        const i = lineAt(lines, m.at);
        const l = lines[i]!;
        const k = Math.floor(m.frac * l.length);
        lines[i] = `${l.slice(0, k)}\u0000${l.slice(k)}`;
        break;
      }
    }
  }
  const parts = lines.map((l) => (l.startsWith(GARBAGE) ? Buffer.from(l.slice(GARBAGE.length), 'hex') : Buffer.from(l, 'utf8')));
  const eol = Buffer.from(crlf ? '\r\n' : '\n');
  let buf = Buffer.concat(parts.flatMap((p) => [p, eol]));
  if (bom) buf = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), buf]);
  if (cut !== null) buf = buf.subarray(0, Math.min(cut, buf.length));
  return buf;
}

/**
 * Whether a capture says it is incomplete: it has a header, and its last record is not a trailer
 * or is a trailer with `complete: false` (docs/capture-format.md, "Order").
 */
export function isIncomplete(buf: Buffer): boolean {
  const lines = buf.toString('utf8').replace(/^\ufeff/, '').split(/\r?\n/);
  if (!lines[0]?.startsWith('{"t":"header"') || !lines[0].includes('"version":1')) return false;
  const last = [...lines].reverse().find((l) => l !== '') ?? '';
  if (!last.startsWith('{"t":"trailer"')) return lines.every((l) => !l.startsWith('{"t":"trailer"'));
  return last.includes('"complete":false');
}

export type ByteMutation =
  | { kind: 'flip'; at: number; bit: number }
  /** a bit of a judged access's target or value: `at` picks among the frames given to applyByteMutations */
  | { kind: 'flip-access'; at: number; field: 'val' | 'off' | 'bus' | 'devfn'; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'overwrite'; at: number; bytes: number[] };

export function byteMutation(): fc.Arbitrary<ByteMutation> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.tuple(frac, fc.nat({ max: 7 })).map(([at, bit]) => ({ kind: 'flip' as const, at, bit })) },
    { weight: 4, arbitrary: fc.tuple(frac, fc.constantFrom('val' as const, 'off' as const, 'bus' as const, 'devfn' as const), fc.nat({ max: 7 })).map(([at, field, bit]) => ({ kind: 'flip-access' as const, at, field, bit })) },
    { weight: 1, arbitrary: frac.map((at) => ({ kind: 'truncate' as const, at })) },
    { weight: 2, arbitrary: fc.tuple(frac, fc.array(fc.nat({ max: 255 }), { minLength: 1, maxLength: 8 })).map(([at, bytes]) => ({ kind: 'overwrite' as const, at, bytes })) },
  );
}

/** Byte offsets of fields in an access frame (docs/capture-format.md, "Packed encoding"; the frame starts with its tag). */
const ACCESS_FIELD = { bus: 30, devfn: 31, off: 32, val: 36 } as const;

/**
 * Where the access frames of one device start, by walking the frames as docs/capture-format.md
 * describes them: `S` u16 length, `A` 64 bytes, `N` 16 bytes, `J` u32 length (lengths after the
 * tag), and `C` u32 (a check frame, if the encoding has them). Stops at a tag it does not know.
 */
export function accessFramesOf(buf: Buffer, skip: number, bus: number, devfn: number): number[] {
  const out: number[] = [];
  let p = skip;
  while (p < buf.length) {
    const tag = buf[p];
    if (tag === 0x53) p += 3 + buf.readUInt16LE(p + 1);
    else if (tag === 0x4a) p += 5 + buf.readUInt32LE(p + 1);
    else if (tag === 0x4e) p += 16;
    else if (tag === 0x43) p += 5;
    else if (tag === 0x41) {
      if (buf[p + ACCESS_FIELD.bus] === bus && buf[p + ACCESS_FIELD.devfn] === devfn) out.push(p);
      p += 64;
    } else break;
  }
  return out;
}

/**
 * Applies byte mutations past the magic line (`skip` bytes), so that the file is still packed;
 * `flip-access` flips a bit in one of the access frames at `frames`.
 */
export function applyByteMutations(src: Buffer, muts: readonly ByteMutation[], skip: number, frames: readonly number[] = []): Buffer {
  let buf = Buffer.from(src);
  const pos = (f: number): number => skip + Math.floor(f * (buf.length - skip));
  for (const m of muts) {
    if (buf.length <= skip) break;
    if (m.kind === 'flip') { const i = pos(m.at); buf[i] = buf[i]! ^ (1 << m.bit); }
    if (m.kind === 'flip-access' && frames.length > 0) {
      const i = frames[Math.floor(m.at * frames.length)]! + ACCESS_FIELD[m.field];
      if (i < buf.length) buf[i] = buf[i]! ^ (1 << m.bit);
    }
    if (m.kind === 'truncate') buf = buf.subarray(0, pos(m.at));
    if (m.kind === 'overwrite') { const i = pos(m.at); m.bytes.forEach((b, k) => { if (i + k < buf.length) buf[i + k] = b; }); }
  }
  return buf;
}
