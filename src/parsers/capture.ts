// cfgscope's own capture format (docs/capture-format.md): NDJSON, one CaptureRecord per line.
// Every record is checked against the format's ranges (src/model/record-check.ts) so later
// stages can trust it; a bad line becomes a skipped record with a code and its line number, and
// the rest still loads.

import type { CaptureRecord } from '../model/records.js';
import { CAPTURE_FORMAT, CAPTURE_VERSION } from '../model/records.js';
import { CfgscopeError } from '../model/errors.js';
import type { InputFormat, LineParser, ParseContext } from './parser.js';
import { AccessLineScanner } from './capture-access-scanner.js';
import { accessProblem, checkRecord, knownRecordType, nestedProblem } from '../model/record-check.js';
import { LegacyBoots, type CaptureOut } from './legacy-boots.js';

const HEADER_PREFIX = `{"t":"header","format":"${CAPTURE_FORMAT}"`;

export const captureFormat: InputFormat = {
  kind: 'capture',
  name: 'cfgscope capture (NDJSON)',
  detect: (head) => head.length > 0 && head[0]!.startsWith(HEADER_PREFIX),
  // boot: captures from before boot records read as if they had them (./legacy-boots.ts).
  create: (ctx, emit) => new CaptureParser(ctx, new LegacyBoots(emit)),
};

/** The NDJSON reader whose records go to `out` (the packed reader's JSON frames: records as they are). */
export const captureLines = (ctx: ParseContext, out: CaptureOut): LineParser => new CaptureParser(ctx, out);

class CaptureParser implements LineParser {
  private sawHeader = false;
  private lineNo = 0;
  private readonly scanner = new AccessLineScanner();

  constructor(private readonly ctx: ParseContext, private readonly out: CaptureOut) {}

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
    this.out.record(r);
  }

  /** Fast path: an access or nested line in the writer's own shape is read from its bytes (the
   *  scanner checks types as it reads); any other line is decoded and parsed as JSON. */
  bytes(buf: Buffer, start: number, end: number, no: number): void {
    if (this.sawHeader) {
      const r = this.scanner.scan(buf, start, end);
      if (r) {
        this.lineNo = no;
        if (r.t === 'nested') {
          const problem = nestedProblem(r);
          if (problem !== null) return this.bad('CAPTURE_BAD_RECORD', problem, buf.toString('utf8', start, end), no);
          return this.out.record(r);
        }
        const problem = this.scanner.inRange ? null : accessProblem(r);
        if (problem !== null) return this.bad('CAPTURE_BAD_RECORD', problem, buf.toString('utf8', start, end), no);
        return this.out.access(r);
      }
    }
    this.line(buf.toString('utf8', start, end), no);
  }

  end(): void {
    this.out.end();
  }

  private check(rec: unknown): [string, string] | null {
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) return ['CAPTURE_BAD_RECORD', 'record is not a JSON object'];
    const o = rec as Record<string, unknown>;
    if (!knownRecordType(o.t)) return ['CAPTURE_UNKNOWN_TYPE', `unknown record type ${JSON.stringify(o.t) ?? 'missing'}`];
    if (o.t === 'header') {
      if (typeof o.version === 'number' && o.version > CAPTURE_VERSION) {
        // Fatal: a newer format may mean something else by the same fields.
        throw new CfgscopeError('CAPTURE_VERSION', `capture version ${String(o.version)} is newer than this cfgscope reads (${CAPTURE_VERSION})`, { file: this.ctx.file, line: this.lineNo });
      }
    } else if (!this.sawHeader) {
      return ['CAPTURE_NO_HEADER', 'record before the header'];
    }
    const v = checkRecord(rec);
    if (!v.ok) return [v.code, v.message];
    if (o.t === 'header') this.sawHeader = true;
    return null;
  }

  private bad(code: string, message: string, text: string, no: number): void {
    this.out.record({ t: 'skipped', code, message, line: no, text: text.slice(0, 240) });
  }
}
