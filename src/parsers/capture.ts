// cfgscope's own capture format (docs/capture-format.md): NDJSON, one CaptureRecord per line.
// Reading checks each record's shape just enough that later stages can trust the types; a bad
// line becomes a skipped record with a code and its line number, and the rest still loads.

import type { CaptureRecord, RecordType } from '../model/records.js';
import { CAPTURE_FORMAT, CAPTURE_VERSION } from '../model/records.js';
import { CfgscopeError } from '../model/errors.js';
import type { InputFormat, LineParser, ParseContext, RecordSink } from './parser.js';
import { AccessLineScanner } from './capture-access-scanner.js';

const HEADER_PREFIX = `{"t":"header","format":"${CAPTURE_FORMAT}"`;

/** Required fields per record type and their JSON types (`number?` = number or null). */
const SHAPES: Record<RecordType, Record<string, string>> = {
  header: { version: 'number', clock: 'string' },
  device: { bdf: 'string', from: 'string' },
  stack: { id: 'number', frames: 'array' },
  access: { op: 'string', size: 'number', layer: 'string', known: 'boolean', bus: 'number?', devfn: 'number?', off: 'number?', val: 'number?', stack: 'number?' },
  lost: { count: 'number', reason: 'string' },
  phase: { label: 'string' },
  skipped: { code: 'string', line: 'number' },
  nested: { layer: 'string', line: 'number' },
  'source-count': { key: 'string', count: 'number' },
  trailer: { counts: 'object', complete: 'boolean' },
};

export const captureFormat: InputFormat = {
  kind: 'capture',
  name: 'cfgscope capture (NDJSON)',
  detect: (head) => head.length > 0 && head[0]!.startsWith(HEADER_PREFIX),
  create: (ctx, emit) => new CaptureParser(ctx, emit),
};

function typeOk(v: unknown, want: string): boolean {
  if (want.endsWith('?')) return v === null || typeOf(v) === want.slice(0, -1);
  return typeOf(v) === want;
}

const typeOf = (v: unknown): string => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);

class CaptureParser implements LineParser {
  private sawHeader = false;
  private lineNo = 0;
  private readonly scanner = new AccessLineScanner();

  constructor(private readonly ctx: ParseContext, private readonly emit: RecordSink) {}

  line(text: string, no: number): void {
    if (text.length === 0) return;
    this.lineNo = no;
    let rec: unknown;
    try {
      rec = JSON.parse(text);
    } catch {
      return this.bad('CAPTURE_BAD_JSON', 'line is not valid JSON (truncated write?)', text, no);
    }
    const problem = this.check(rec);
    if (problem) return this.bad(problem[0], problem[1], text, no);
    const r = rec as CaptureRecord;
    if (r.t === 'stack') this.ctx.stacks.define(r.id, r.frames);
    this.emit(r);
  }

  /** Fast path: an access or nested line in the writer's own shape is read from its bytes (the
   *  scanner checks types as it reads); any other line is decoded and parsed as JSON. */
  bytes(buf: Buffer, start: number, end: number, no: number): void {
    if (this.sawHeader) {
      const r = this.scanner.scan(buf, start, end);
      if (r) {
        this.lineNo = no;
        return this.emit(r);
      }
    }
    this.line(buf.toString('utf8', start, end), no);
  }

  end(): void {}

  private check(rec: unknown): [string, string] | null {
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) return ['CAPTURE_BAD_RECORD', 'record is not a JSON object'];
    const o = rec as Record<string, unknown>;
    const shape = SHAPES[o.t as RecordType];
    if (typeof o.t !== 'string' || !shape) return ['CAPTURE_UNKNOWN_TYPE', `unknown record type ${JSON.stringify(o.t)}`];
    for (const [k, want] of Object.entries(shape)) {
      if (!typeOk(o[k], want)) return ['CAPTURE_BAD_RECORD', `${o.t} record: field ${k} should be ${want.replace('?', ' or null')}`];
    }
    if (o.t === 'header') {
      if (o.format !== CAPTURE_FORMAT) return ['CAPTURE_BAD_RECORD', `header format is ${JSON.stringify(o.format)}`];
      if ((o.version as number) > CAPTURE_VERSION) {
        // Fatal: a newer format may mean something else by the same fields.
        throw new CfgscopeError('CAPTURE_VERSION', `capture version ${String(o.version)} is newer than this cfgscope reads (${CAPTURE_VERSION})`, { file: this.ctx.file, line: this.lineNo });
      }
      this.sawHeader = true;
    } else if (!this.sawHeader) {
      return ['CAPTURE_NO_HEADER', 'record before the header'];
    }
    return null;
  }

  private bad(code: string, message: string, text: string, no: number): void {
    this.emit({ t: 'skipped', code, message, line: no, text: text.slice(0, 240) });
  }
}
