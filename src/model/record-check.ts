// The one check every capture reader applies to every record (the NDJSON reader, its byte
// scanner, and the packed reader's access, nested and JSON frames): each field within the range
// docs/capture-format.md gives it, not merely of the right JSON type. A record that passes can be
// trusted by every later stage (a devfn of 256 would otherwise name the next bus's device, a
// size of 8 or an op of "W" would make a write invisible to the policy); one that fails is
// skipped with CAPTURE_BAD_RECORD and a message naming the field and its range.

import type { AccessRecord, Layer, NestedRecord } from './records.js';
import { CAPTURE_FORMAT } from './records.js';
import { parseBdf } from './bdf.js';

/** Config space is 4 KiB (PCIe extended); conventional devices use the first 256 bytes. */
export const CONFIG_SPACE = 4096;
const U8 = 0xff;
const U16 = 0xffff;
const U24 = 0xffffff;
const U32 = 0xffffffff;
const I32_MIN = -0x80000000;
const I32_MAX = 0x7fffffff;
/** Largest value of an access of each size (index = size). */
const VAL_MAX = [0, 0xff, 0xffff, 0, U32];
/** The documented layers, each mapped to itself: get() gives the literal for an equal string. */
const LAYERS: ReadonlyMap<string, Layer> = new Map((['bus', 'user', 'raw', 'acpi', 'early', 'device'] as const).map((l) => [l, l]));
/** An access's `layer` is one of the documented ones. */
export const isLayer = (s: string): boolean => LAYERS.has(s);
/** The source's literal for a layer name read from a file (any other string as it is): every access
 *  compares its layer, and V8 compares two literals by reference, two strings made from bytes by
 *  a builtin call that reads them (two such calls per access on the packed check). */
export const layerLiteral = (s: string): string => LAYERS.get(s) ?? s;
const CONFIG_HEX = /^(?:[0-9a-f]{2}|\.\.)*$/;

const isInt = (v: unknown, min: number, max: number): boolean => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const intOrNull = (v: unknown, min: number, max: number): boolean => v === null || isInt(v, min, max);
const strOrNull = (v: unknown): boolean => v === null || typeof v === 'string';
/** True when `v` nests no deeper than `max` levels (counted without recursion). */
function shallow(v: unknown, max: number): boolean {
  let level: unknown[] = [v];
  for (let depth = 0; level.length > 0; depth++) {
    if (depth > max) return false;
    const next: unknown[] = [];
    for (const x of level) if (x !== null && typeof x === 'object') next.push(...Object.values(x as object).slice(0, 64));
    level = next;
  }
  return true;
}

/**
 * A field's value as a message quotes it: JSON, cut at 80 characters. A structure nested deeper
 * than 8 levels is quoted by kind only: JSON.stringify of a value nested 5,000 levels deep
 * overflows the stack (exit 70 where the record should be a counted skip).
 */
function shown(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v !== null && typeof v === 'object' && !shallow(v, 8)) return Array.isArray(v) ? `an array nested too deep to quote` : 'an object nested too deep to quote';
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 80)}...` : text;
}

const field = (t: string, k: string, v: unknown, want: string): string => `${t} record: field ${k} is ${shown(v)}, should be ${want}`;

/** `(v & mask) === v` holds exactly for the integers 0..mask (mask = 2^k - 1 < 2^31): false for
 *  fractions, negatives, NaN, strings, booleans and null, with no call and no allocation. */
const inMask = (v: unknown, mask: number): boolean => ((v as number) & mask) === v;
const isU32 = (v: unknown): boolean => (v as number) >>> 0 === v;
const isI32 = (v: unknown): boolean => ((v as number) | 0) === v;

/**
 * The common case, a valid access, decided by a few comparisons per field (a capture holds
 * millions; check reads several million a second). Says nothing about why: accessProblem asks
 * describeAccess for that when this is false.
 */
function accessOk(a: AccessRecord): boolean {
  const size = a.size;
  if (size !== 1 && size !== 2 && size !== 4) return false;
  if (a.op !== 'r' && a.op !== 'w') return false;
  if (a.known === true) {
    if (!inMask(a.seg, U16) || !inMask(a.bus, U8) || !inMask(a.devfn, U8) || !inMask(a.off, CONFIG_SPACE - 1) || (a.off as number) + size > CONFIG_SPACE) return false;
    const val = a.val;
    if (val !== null && !(size === 4 ? isU32(val) : inMask(val, size === 1 ? U8 : U16))) return false;
  } else if (a.known !== false || a.seg !== null || a.bus !== null || a.devfn !== null || a.off !== null || a.val !== null) {
    return false;
  }
  const ts = a.ts;
  if (ts !== null && (typeof ts !== 'number' || ts - ts !== 0)) return false;
  if ((a.cpu !== null && !(isI32(a.cpu) && a.cpu >= 0)) || (a.pid !== null && !(isI32(a.pid) && a.pid >= 0))) return false;
  if (a.ret !== null && !isI32(a.ret)) return false;
  if ((a.comm !== null && typeof a.comm !== 'string') || (a.fn !== null && typeof a.fn !== 'string')) return false;
  const l = a.layer;
  if (l !== 'bus' && l !== 'device' && l !== 'user' && l !== 'raw' && l !== 'acpi' && l !== 'early') return false;
  if (a.stack !== null && !isU32(a.stack)) return false;
  if (a.line !== undefined && !isU32(a.line)) return false;
  return (a.sizeGuessed === undefined || typeof a.sizeGuessed === 'boolean') && (a.model === undefined || typeof a.model === 'string')
    && (a.attributed === undefined || a.attributed === 'device-log');
}

/** Why an access record is not one the format allows, or null. Hot: runs once per access. */
export function accessProblem(a: AccessRecord): string | null {
  if (accessOk(a)) return null;
  // The two checks must agree; should they ever not, the record is still refused.
  return describeAccess(a) ?? 'access record: out of the format ranges';
}

/** The first field of an access out of its range, named with the range; null when none is. */
function describeAccess(a: AccessRecord): string | null {
  const o = a as unknown as Record<string, unknown>;
  if (a.op !== 'r' && a.op !== 'w') return field('access', 'op', o.op, '"r" or "w"');
  if (a.size !== 1 && a.size !== 2 && a.size !== 4) return field('access', 'size', o.size, '1, 2 or 4');
  if (!intOrNull(a.seg, 0, U16)) return field('access', 'seg', o.seg, 'an integer 0..65535 or null');
  if (!intOrNull(a.bus, 0, U8)) return field('access', 'bus', o.bus, 'an integer 0..255 or null');
  if (!intOrNull(a.devfn, 0, U8)) return field('access', 'devfn', o.devfn, 'an integer 0..255 or null');
  if (!intOrNull(a.off, 0, CONFIG_SPACE - a.size)) {
    return field('access', 'off', o.off, `an integer 0..${CONFIG_SPACE - a.size} (off + size <= ${CONFIG_SPACE}) or null`);
  }
  if (!intOrNull(a.val, 0, VAL_MAX[a.size]!)) return field('access', 'val', o.val, `an integer 0..${VAL_MAX[a.size]!} (fits size ${a.size}) or null`);
  if (a.known === true) {
    if (a.seg === null || a.bus === null || a.devfn === null || a.off === null) {
      return 'access record: known is true but seg, bus, devfn or off is null (a known access names its target)';
    }
  } else if (a.known === false) {
    if (a.seg !== null || a.bus !== null || a.devfn !== null || a.off !== null || a.val !== null) {
      return 'access record: known is false but seg, bus, devfn, off or val is not null (an unknown access has no target)';
    }
  } else {
    return field('access', 'known', o.known, 'true or false');
  }
  if (!(a.ts === null || (typeof a.ts === 'number' && Number.isFinite(a.ts)))) return field('access', 'ts', o.ts, 'a finite number or null');
  if (!intOrNull(a.cpu, 0, I32_MAX)) return field('access', 'cpu', o.cpu, 'an integer 0..2147483647 or null');
  if (!intOrNull(a.pid, 0, I32_MAX)) return field('access', 'pid', o.pid, 'an integer 0..2147483647 or null');
  if (!intOrNull(a.ret, I32_MIN, I32_MAX)) return field('access', 'ret', o.ret, 'a 32-bit integer or null');
  if (!strOrNull(a.comm)) return field('access', 'comm', o.comm, 'a string or null');
  if (!strOrNull(a.fn)) return field('access', 'fn', o.fn, 'a string or null');
  if (typeof a.layer !== 'string' || !LAYERS.has(a.layer)) return field('access', 'layer', o.layer, `one of ${[...LAYERS.keys()].join(', ')}`);
  if (!intOrNull(a.stack, 0, U32)) return field('access', 'stack', o.stack, 'a stack id (integer 0..4294967295) or null');
  if (a.line !== undefined && !isInt(a.line, 0, U32)) return field('access', 'line', o.line, 'an integer 0..4294967295');
  if (a.sizeGuessed !== undefined && typeof a.sizeGuessed !== 'boolean') return field('access', 'sizeGuessed', o.sizeGuessed, 'true or false');
  if (a.model !== undefined && typeof a.model !== 'string') return field('access', 'model', o.model, 'a string');
  if (a.attributed !== undefined && a.attributed !== 'device-log') return field('access', 'attributed', o.attributed, '"device-log"');
  return null;
}

export function nestedProblem(n: NestedRecord): string | null {
  const o = n as unknown as Record<string, unknown>;
  if (typeof n.layer !== 'string') return field('nested', 'layer', o.layer, 'a string');
  if (!intOrNull(n.of, 0, U32)) return field('nested', 'of', o.of, 'a line number (integer 0..4294967295) or null');
  if (!isInt(n.line, 0, U32)) return field('nested', 'line', o.line, 'an integer 0..4294967295');
  return null;
}

type Check = (o: Record<string, unknown>) => string | null;

/** The first problem among `checks` ([field, test, what it should be]) of a record of type t. */
function fields(t: string, o: Record<string, unknown>, checks: readonly [string, (v: unknown) => boolean, string][]): string | null {
  for (const [k, ok, want] of checks) if (!ok(o[k])) return field(t, k, o[k], want);
  return null;
}

const optional = (test: (v: unknown) => boolean) => (v: unknown): boolean => v === undefined || test(v);
const isStr = (v: unknown): boolean => typeof v === 'string';
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const int = (min: number, max: number) => (v: unknown): boolean => isInt(v, min, max);
const count = int(0, Number.MAX_SAFE_INTEGER);
const lineNo = optional(int(0, U32));

function capList(v: unknown, idMax: number, offMin: number, offMax: number): boolean {
  return Array.isArray(v) && v.every((c) => isObj(c) && isInt(c.id, 0, idMax) && isInt(c.off, offMin, offMax) && (c.ver === undefined || isInt(c.ver, 0, 15)));
}

/** One check per record type other than access and nested; a Map, so that a type named
 *  `toString` or `__proto__` is simply unknown. */
const CHECKS: ReadonlyMap<string, Check> = new Map<string, Check>([
  ['header', (o) => {
    if (o.format !== CAPTURE_FORMAT) return field('header', 'format', o.format, `"${CAPTURE_FORMAT}"`);
    const src = o.source;
    if (!isObj(src) || typeof src.kind !== 'string' || !optional(isStr)(src.file)) return field('header', 'source', src, 'an object with a string kind (and file)');
    const k = o.kernel;
    if (k !== undefined && (!isObj(k) || !optional(isStr)(k.release) || !optional(isStr)(k.cmdline))) return field('header', 'kernel', k, 'an object with string release and cmdline');
    return fields('header', o, [['version', int(1, U32), 'an integer from 1'], ['clock', isStr, 'a string'], ['host', optional(isStr), 'a string']]);
  }],
  ['device', (o) => {
    if (typeof o.bdf !== 'string' || parseBdf(o.bdf) === null) return field('device', 'bdf', o.bdf, 'a PCI address like 0000:02:00.0');
    const cfg = o.config;
    if (cfg !== undefined && (typeof cfg !== 'string' || cfg.length % 2 !== 0 || cfg.length > 2 * CONFIG_SPACE || !CONFIG_HEX.test(cfg))) {
      return field('device', 'config', cfg, `two lower-case hex digits or ".." per byte, at most ${CONFIG_SPACE} bytes`);
    }
    return fields('device', o, [
      ['from', isStr, 'a string'], ['vendor', optional(int(0, U16)), 'an integer 0..65535'], ['device', optional(int(0, U16)), 'an integer 0..65535'],
      ['subvendor', optional(int(0, U16)), 'an integer 0..65535'], ['subdevice', optional(int(0, U16)), 'an integer 0..65535'],
      ['class', optional(int(0, U24)), 'an integer 0..16777215'], ['headerType', optional(int(0, U8)), 'an integer 0..255'],
      ['driver', optional(isStr), 'a string'],
      ['caps', optional((v) => capList(v, U8, 0, U8)), 'a list of {id 0..255, off 0..255}'],
      ['ecaps', optional((v) => capList(v, U16, 0x100, CONFIG_SPACE - 4)), `a list of {id 0..65535, off 256..${CONFIG_SPACE - 4}, ver 0..15}`],
    ]);
  }],
  ['stack', (o) => fields('stack', o, [
    ['id', int(0, U32), 'an integer 0..4294967295'],
    ['frames', (v) => Array.isArray(v) && v.every(isStr), 'a list of strings'],
  ])],
  ['lost', (o) => fields('lost', o, [
    ['count', count, 'a count (integer from 0)'], ['reason', isStr, 'a string'], ['ts', (v) => v === null || (typeof v === 'number' && Number.isFinite(v)), 'a finite number or null'],
    ['cpu', (v) => intOrNull(v, 0, I32_MAX), 'an integer 0..2147483647 or null'], ['line', lineNo, 'an integer 0..4294967295'],
  ])],
  ['phase', (o) => fields('phase', o, [
    ['label', isStr, 'a string'], ['ts', (v) => v === null || (typeof v === 'number' && Number.isFinite(v)), 'a finite number or null'],
    ['index', (v) => intOrNull(v, 0, Number.MAX_SAFE_INTEGER), 'an integer from 0 or null'], ['line', lineNo, 'an integer 0..4294967295'],
  ])],
  ['boot', (o) => fields('boot', o, [
    ['kernel', int(1, U32), 'an integer from 1'], ['segment', (v) => v === 'kernel' || v === 'handover', '"kernel" or "handover"'],
    ['side', (v) => v === undefined || v === 'kernel', 'absent or "kernel"'],
    ['release', optional(isStr), 'a string'], ['cmdline', optional(isStr), 'a string'], ['clock', optional(isStr), 'a string'],
    ['line', lineNo, 'an integer 0..4294967295'],
  ])],
  ['skipped', (o) => fields('skipped', o, [
    ['code', isStr, 'a string'], ['message', isStr, 'a string'], ['line', int(0, U32), 'an integer 0..4294967295'], ['text', isStr, 'a string'],
  ])],
  ['nested', (o) => nestedProblem(o as unknown as NestedRecord)],
  ['access', (o) => accessProblem(o as unknown as AccessRecord)],
  ['source-count', (o) => fields('source-count', o, [['key', isStr, 'a string'], ['count', count, 'a count (integer from 0)'], ['line', lineNo, 'an integer 0..4294967295']])],
  ['trailer', (o) => {
    const c = o.counts;
    if (!isObj(c) || !Object.values(c).every(count)) return field('trailer', 'counts', c, 'an object of counts (integers from 0)');
    return fields('trailer', o, [['complete', (v) => typeof v === 'boolean', 'true or false']]);
  }],
]);

export type RecordVerdict = { ok: true } | { ok: false; code: 'CAPTURE_BAD_RECORD' | 'CAPTURE_UNKNOWN_TYPE'; message: string };

const OK: RecordVerdict = { ok: true };

/** Whether `t` names a record type this version knows (safe for any input string). */
export const knownRecordType = (t: unknown): boolean => typeof t === 'string' && CHECKS.has(t);

/** Checks a parsed JSON value against the format: its type must be known and every field in range. */
export function checkRecord(rec: unknown): RecordVerdict {
  if (!isObj(rec)) return { ok: false, code: 'CAPTURE_BAD_RECORD', message: 'record is not a JSON object' };
  const check = typeof rec.t === 'string' ? CHECKS.get(rec.t) : undefined;
  if (check === undefined) return { ok: false, code: 'CAPTURE_UNKNOWN_TYPE', message: `unknown record type ${shown(rec.t)}` };
  const problem = check(rec);
  return problem === null ? OK : { ok: false, code: 'CAPTURE_BAD_RECORD', message: problem };
}
