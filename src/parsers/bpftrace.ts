// Output of cfgscope's bundled bpftrace probes (probes/*.bt), text or `-f json`; the format is
// specified in docs/bpftrace-output.md. JSON lines are unwrapped into the same text lines, so
// one state machine serves both modes and a live bpftrace pipe.

import type { AccessRecord, CaptureRecord, HeaderRecord, Layer } from '../model/records.js';
import { CAPTURE_FORMAT, CAPTURE_VERSION } from '../model/records.js';
import { accessProblem } from '../model/record-check.js';
import type { InputFormat, LineParser, ParseContext, RecordSink } from './parser.js';

const BANNER_RE = /^cfgscope-bpftrace v(\d+) (start|end) ns=(\d+)(?: release=(\S+))?/;
const EVENT_RE = /^ev op=([rw]) layer=(\w+) depth=(\d+) ns=(\d+) cpu=(\d+) pid=(\d+) seg=(\d+) bus=(\d+) devfn=0x([0-9a-f]+) off=0x([0-9a-f]+) size=([124]) val=(0x[0-9a-f]+|-) ret=(-?\d+|-) comm=(.*)$/;
const LOST_RE = /^Lost (\d+) events$/;
const MAP_RE = /^@(\w+)\[([^\]]*)\]: (\d+)$/;
const ATTACH_RE = /^Attaching \d+ probes?\.\.\.$/;
const LAYERS: ReadonlySet<string> = new Set(['bus', 'user', 'raw', 'acpi']);
const SUPPORTED_VERSION = 1;

export const bpftraceFormat: InputFormat = {
  kind: 'bpftrace',
  name: "cfgscope bpftrace probe output (text or -f json)",
  detect: (head) => head.some((l) => BANNER_RE.test(l) || (l.startsWith('{"type"') && l.includes('cfgscope-bpftrace v'))),
  create: (ctx, emit) => new BpftraceParser(ctx, emit),
};

interface Pending {
  access: AccessRecord;
  depth: number;
  frames: string[];
}

class BpftraceParser implements LineParser {
  private headerSent = false;
  private release: string | undefined;
  private pending: Pending | null = null;
  /** Text of a JSON printf whose line has not ended yet (printf data need not end with \n). */
  private jsonPartial = '';
  private jsonLine = 0;

  constructor(private readonly ctx: ParseContext, private readonly emit: RecordSink) {}

  line(raw: string, no: number): void {
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.startsWith('{')) return this.jsonLine_(text, no);
    this.textLine(text, no);
  }

  end(): void {
    if (this.jsonPartial.length > 0) this.textLine(this.jsonPartial, this.jsonLine);
    this.jsonPartial = '';
    this.flush();
    this.sendHeader();
  }

  private jsonLine_(text: string, no: number): void {
    let obj: { type?: unknown; data?: unknown };
    try {
      obj = JSON.parse(text) as { type?: unknown; data?: unknown };
    } catch {
      return this.skip('BPFTRACE_BAD_JSON', 'line starts like JSON but does not parse', text, no);
    }
    switch (obj.type) {
      case 'printf': {
        if (typeof obj.data !== 'string') return this.skip('BPFTRACE_BAD_JSON', 'printf without string data', text, no);
        const parts = (this.jsonPartial + obj.data).split('\n');
        this.jsonPartial = parts.pop()!;
        for (const p of parts) this.textLine(p, no);
        this.jsonLine = no;
        return;
      }
      case 'lost_events': {
        const n = (obj.data as { events?: unknown } | undefined)?.events;
        if (typeof n !== 'number') return this.skip('BPFTRACE_BAD_JSON', 'lost_events without a count', text, no);
        return this.lost(n, no);
      }
      case 'attached_probes':
        return;
      case 'map':
        return this.jsonMap(obj.data, text, no);
      default:
        return this.skip('BPFTRACE_UNKNOWN_JSON_TYPE', `bpftrace JSON type ${JSON.stringify(obj.type)} is not part of the probe format`, text, no);
    }
  }

  private jsonMap(data: unknown, text: string, no: number): void {
    if (typeof data !== 'object' || data === null) return this.skip('BPFTRACE_BAD_JSON', 'map without data', text, no);
    for (const [name, entries] of Object.entries(data as Record<string, unknown>)) {
      if (typeof entries !== 'object' || entries === null) continue;
      for (const [key, count] of Object.entries(entries as Record<string, unknown>)) {
        if (typeof count === 'number') this.send({ t: 'source-count', key: `${name}[${key.split(',').map((k) => k.trim()).join(', ')}]`, count, line: no });
      }
    }
  }

  private textLine(text: string, no: number): void {
    // A stack frame: kstack prints each one indented, innermost first.
    if (this.pending && /^\s+\S/.test(text)) { this.pending.frames.push(text.trim()); return; }
    this.flush();
    if (text.trim() === '') return;
    const ev = EVENT_RE.exec(text);
    if (ev) return this.event(ev, text, no);
    const banner = BANNER_RE.exec(text);
    if (banner) return this.banner(banner, text, no);
    const lost = LOST_RE.exec(text);
    if (lost) return this.lost(Number(lost[1]), no);
    const map = MAP_RE.exec(text);
    if (map) return this.send({ t: 'source-count', key: `@${map[1]}[${map[2]}]`, count: Number(map[3]), line: no });
    if (ATTACH_RE.test(text)) return;
    this.skip(text.startsWith('ev ') ? 'BPFTRACE_BAD_EVENT' : 'BPFTRACE_UNKNOWN_LINE',
      text.startsWith('ev ') ? 'event line does not match the v1 field list' : 'not part of the probe output format', text, no);
  }

  private banner(m: RegExpExecArray, text: string, no: number): void {
    if (Number(m[1]) !== SUPPORTED_VERSION) return this.skip('BPFTRACE_VERSION', `probe output v${m[1]} is not v${SUPPORTED_VERSION}`, text, no);
    if (m[2] === 'start') {
      if (m[4]) this.release = m[4];
      this.sendHeader();
      this.send({ t: 'phase', ts: Number(m[3]) / 1e9, label: 'bpftrace attached', index: null, line: no });
    } else {
      this.send({ t: 'phase', ts: Number(m[3]) / 1e9, label: 'bpftrace end', index: null, line: no });
    }
  }

  private event(m: RegExpExecArray, text: string, no: number): void {
    if (!LAYERS.has(m[2]!)) return this.skip('BPFTRACE_BAD_EVENT', `unknown layer ${m[2]}`, text, no);
    const op = m[1] as 'r' | 'w';
    const layer = m[2] as Layer;
    const size = Number(m[11]) as 1 | 2 | 4;
    const access: AccessRecord = {
      t: 'access', ts: Number(m[4]) / 1e9, cpu: Number(m[5]), pid: Number(m[6]), comm: m[14]!, op,
      seg: Number(m[7]), bus: Number(m[8]), devfn: parseInt(m[9]!, 16), off: parseInt(m[10]!, 16), size,
      val: m[12] === '-' ? null : parseInt(m[12]!.slice(2), 16), ret: m[13] === '-' ? null : Number(m[13]),
      layer, fn: null, stack: null, known: true, line: no,
    };
    // The regex takes any number of digits: a value the format's ranges do not allow is skipped.
    const problem = accessProblem(access);
    if (problem !== null) return this.skip('BPFTRACE_BAD_EVENT', problem, text, no);
    this.pending = { access, depth: Number(m[3]), frames: [] };
  }

  private flush(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    if (p.depth > 0) {
      // An outer probe on this thread already reported this access (docs/bpftrace-output.md).
      return this.send({ t: 'nested', layer: p.access.layer, of: null, line: p.access.line! });
    }
    if (p.frames.length > 0) {
      const { id, isNew } = this.ctx.stacks.intern(p.frames);
      if (isNew) this.send({ t: 'stack', id, frames: p.frames });
      p.access.stack = id;
      p.access.fn = p.frames[0]!.replace(/\+\d+$/, '');
    }
    this.send(p.access);
  }

  private lost(count: number, no: number): void {
    this.flush();
    this.send({ t: 'lost', count, ts: null, cpu: null, reason: 'bpftrace', line: no });
  }

  private skip(code: string, message: string, text: string, no: number): void {
    this.send({ t: 'skipped', code, message, line: no, text: text.slice(0, 240) });
  }

  private sendHeader(): void {
    if (this.headerSent) return;
    this.headerSent = true;
    const h: HeaderRecord = { t: 'header', format: CAPTURE_FORMAT, version: CAPTURE_VERSION, source: { kind: 'bpftrace', file: this.ctx.file }, clock: 'mono' };
    if (this.release) h.kernel = { release: this.release };
    this.emit(h);
  }

  private send(r: CaptureRecord): void {
    this.sendHeader();
    this.emit(r);
  }
}
