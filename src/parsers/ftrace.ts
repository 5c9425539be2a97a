// ftrace text: /sys/kernel/tracing/trace as the kernel prints it (kernel/trace/trace_output.c),
// alone or embedded in a serial console log between other lines. Understands:
// - kprobe events on config accessors (`wd: (pci_bus_write_config_dword+0x0/0x30) bus=0 ...`; 6.12
//   prints the site as `+0x4`), and return probes on the read accessors
//   (`rd: (pci_read_base+0x2d/0x170 <- pci_bus_read_config_dword) ... val=0x1234 ret=0`),
// - function-tracer hits on them (`pci_bus_write_config_word <-pci_setup_device.cold`): early boot,
//   before kprobe events exist; the access is real but its device/offset/value are unknown,
// - `<stack trace>` entries (options/stacktrace, func_stack_trace) and their ` => frame` lines,
// - trace_marker writes (`tracing_mark_write: PHASE[2] insmod nvme`) as phase markers, and
//   `cfgscope-module NAME ADDR SIZE` ones (a handover trace: the old kernel's module load
//   addresses) as names for its bare-address frames,
// - the `entries-in-buffer/entries-written` header, whose difference is events the ring buffer lost.

import type { AccessRecord, CaptureRecord, HeaderRecord } from '../model/records.js';
import { CAPTURE_FORMAT, CAPTURE_VERSION } from '../model/records.js';
import { accessProblem } from '../model/record-check.js';
import { accessorInfo, frameFunction, trimTracingFrames } from './accessors.js';
import { argNumber, parseFunctionBody, parseKprobeBody, splitFtraceLine, type FtraceLine } from './ftrace-line.js';
import type { InputFormat, LineParser, ParseContext, RecordSink } from './parser.js';

const TRACER_HEADER = /^# tracer: (\S+)/;
const ENTRIES_HEADER = /^# entries-in-buffer\/entries-written: (\d+)\/(\d+)/;
/** ` => frame`: what the regex /^ => (.+)$/ matches, without a match object per line (most lines
 *  of a trace with stacks are frames). */
function stackFrame(text: string): string | null {
  if (text.length <= 4 || !text.startsWith(' => ')) return null;
  const f = text.slice(4);
  return f.includes('\n') || f.includes('\r') || f.includes('\u2028') || f.includes('\u2029') ? null : f;
}
const DMESG_LINE = /^\[\s*\d+\.\d+\]/;
const LINUX_VERSION = /Linux version (\S+)/;
const CMDLINE = /(?:^|\] )(?:Kernel )?[Cc]ommand line: (.*)$/;
const TRACE_CLOCK = /\btrace_clock=(\S+)/;
/** The kernel's word that a persistent trace instance holds the previous boot's events
 *  (kernel/trace/ring_buffer.c, 6.12+). */
export const PREVIOUS_BOOT = /Ring buffer meta \[\d+\] is from previous boot!/;
const PHASE_INDEX = /PHASE\[(\d+)\]/;
/** `tracing_mark_write: `, with the sym-offset trace option `tracing_mark_write+0xdd/0x240: `. */
const MARKER = /^tracing_mark_write(?:\+0x[0-9a-f]+\/0x[0-9a-f]+)?: /;
/** A module's load address, written into a handover trace before kexec (`cfgscope-module nvme
 *  0xffffffffc02a0000 61440`, from /proc/modules): the next kernel prints the old kernel's module
 *  frames as bare addresses, these name them. */
const MODULE_MARKER = /^cfgscope-module ([\w-]+) (0x[0-9a-f]+) (\d+)$/;

/** An event whose stack may still follow. */
interface Pending {
  access: AccessRecord | null;
  frames: string[];
  /** The function-tracer or kprobe hit that produced it; used to merge nested hits. */
  via: 'kprobe' | 'function' | null;
}

export const ftraceFormat: InputFormat = {
  kind: 'ftrace',
  name: 'ftrace text (trace file or serial console)',
  detect(head) {
    return head.some((l) => TRACER_HEADER.test(l) || (splitFtraceLine(l) !== null && !l.startsWith('{')));
  },
  create: (ctx, emit) => new FtraceParser(ctx, emit),
};

class FtraceParser implements LineParser {
  private readonly header: HeaderRecord;
  private headerSent = false;
  private inTrace = false;
  /** Pending event per CPU: ftrace prints a stack as a separate entry that can interleave with other CPUs. */
  private readonly pending = new Map<number, Pending>();
  /** CPU whose ` =>` frames are being read. */
  private stackCpu: number | null = null;
  /** Last kprobe-recorded write per CPU, to recognise the function tracer's second hit on it. */
  private readonly lastKprobeWrite = new Map<number, { fn: string; pid: number; stack: string; line: number }>();
  private ignored = 0;
  /** Trace dumps seen (`# tracer:` headers) and whether events followed the latest one. */
  private traces = 0;
  /** The kernel whose trace the events belong to (1, then 2 after a kexec...). */
  private kernel = 1;
  /** The console said the next dump is the previous boot's ring buffer (PREVIOUS_BOOT). */
  private previousBoot = false;
  /** The kernel a kernel-side handover was last emitted into (0: none yet). */
  private handoverInto = 0;
  private eventsInTrace = false;
  /** What the console said between two dumps (the next kernel's `Linux version`, `Command line`):
   *  the boot record of a kexec'd kernel carries it. */
  private nextKernel: { release?: string; cmdline?: string; clock?: string } = {};
  /** Module address ranges of the current trace dump (MODULE_MARKER), for its bare-address frames. */
  private modules: { name: string; base: bigint; end: bigint }[] = [];

  constructor(private readonly ctx: ParseContext, private readonly emit: RecordSink) {
    // ftrace's default clock is `local`; a trace_clock= on the command line overrides it.
    this.header = { t: 'header', format: CAPTURE_FORMAT, version: CAPTURE_VERSION, source: { kind: 'ftrace', file: ctx.file }, clock: 'local' };
  }

  line(raw: string, no: number): void {
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const frame = stackFrame(text);
    if (frame !== null && this.stackCpu !== null) {
      this.pending.get(this.stackCpu)?.frames.push(frame);
      return;
    }
    this.endStackBlock();
    if (text.startsWith('#')) return this.commentLine(text, no);
    const ev = splitFtraceLine(text);
    if (ev) {
      this.inTrace = true;
      this.eventsInTrace = true;
      return this.eventLine(ev, text, no);
    }
    this.otherLine(text, no);
  }

  end(): void {
    this.endStackBlock();
    for (const cpu of [...this.pending.keys()]) this.flush(cpu);
    this.sendHeader();
    if (this.ignored > 0) this.emit({ t: 'source-count', key: 'ignored-console-lines', count: this.ignored });
  }

  private commentLine(text: string, no: number): void {
    const tracer = TRACER_HEADER.exec(text);
    if (tracer) {
      // A second dump in one log (a kexec'd kernel printing its own trace): another kernel, whose
      // timestamps start again; it starts a boot of its own (src/model/boots.ts).
      // A dump the console said is the previous boot's persistent ring buffer (6.12+: "Ring buffer
      // meta [N] is from previous boot!") is the old kernel's shutdown: the handover into the
      // kernel whose own dump follows it.
      // One handover per kernel: the new kernel's dmesg printed later repeats the line.
      if (this.eventsInTrace && this.previousBoot && this.handoverInto !== this.kernel + 1) {
        this.handoverInto = this.kernel + 1;
        this.send({ t: 'boot', kernel: this.kernel + 1, segment: 'handover', side: 'kernel', line: no });
      } else if (this.eventsInTrace) {
        this.kernel++;
        this.send({ t: 'boot', kernel: this.kernel, segment: 'kernel', ...this.nextKernel, line: no });
        this.nextKernel = {};
      }
      this.previousBoot = false;
      this.traces++;
      this.eventsInTrace = false;
      this.modules = [];
      this.inTrace = true;
      return;
    }
    const entries = ENTRIES_HEADER.exec(text);
    if (entries) {
      const lost = Number(entries[2]) - Number(entries[1]);
      if (lost > 0) this.send({ t: 'lost', count: lost, ts: null, cpu: null, reason: 'ftrace-overwritten', line: no });
    }
  }

  /** Console chatter around an embedded trace is ignored (and counted); inside a trace it is bad input. */
  private otherLine(text: string, no: number): void {
    if (!this.headerSent) this.learnFromConsole(text);
    else if (!this.inTrace) this.learnNextKernel(text);
    if (this.inTrace && text.startsWith('=====')) { this.inTrace = false; this.ignored++; return; }
    if (!this.inTrace || text.trim() === '' || DMESG_LINE.test(text)) { this.ignored++; return; }
    this.skip('FTRACE_BAD_LINE', 'not an ftrace event line', text, no);
  }

  private learnFromConsole(text: string): void {
    const v = LINUX_VERSION.exec(text);
    if (v && !this.header.kernel?.release) this.header.kernel = { ...this.header.kernel, release: v[1]! };
    const c = CMDLINE.exec(text);
    if (c && !this.header.kernel?.cmdline) {
      this.header.kernel = { ...this.header.kernel, cmdline: c[1]! };
      const clock = TRACE_CLOCK.exec(c[1]!);
      if (clock) this.header.clock = clock[1]!;
    }
  }

  /** After the first trace: the console of the kernel whose dump may follow. Its first `Linux
   *  version` and command line are that kernel's (a `Kernel command line:` repeats it). */
  private learnNextKernel(text: string): void {
    if (PREVIOUS_BOOT.test(text)) this.previousBoot = true;
    const v = LINUX_VERSION.exec(text);
    if (v && this.nextKernel.release === undefined) this.nextKernel.release = v[1]!;
    const c = CMDLINE.exec(text);
    if (c && this.nextKernel.cmdline === undefined) {
      this.nextKernel.cmdline = c[1]!;
      this.nextKernel.clock = TRACE_CLOCK.exec(c[1]!)?.[1] ?? 'local';
    }
  }

  private eventLine(ev: FtraceLine, text: string, no: number): void {
    if (ev.body === '<stack trace>') {
      this.stackCpu = this.pending.has(ev.cpu) ? ev.cpu : null;
      if (this.stackCpu === null) this.skip('FTRACE_ORPHAN_STACK', 'stack trace with no event before it on this CPU', text, no);
      return;
    }
    this.flush(ev.cpu);
    const marker = MARKER.exec(ev.body);
    if (marker) {
      const label = ev.body.slice(marker[0].length);
      const mod = MODULE_MARKER.exec(label);
      if (mod) {
        const base = BigInt(mod[2]!);
        // A base of 0 is /proc/modules with addresses hidden (kptr_restrict): nothing to map.
        if (base !== 0n) this.modules.push({ name: mod[1]!, base, end: base + BigInt(mod[3]!) });
        return;
      }
      const idx = PHASE_INDEX.exec(label);
      return this.send({ t: 'phase', ts: ev.ts, label, index: idx ? Number(idx[1]) : null, line: no });
    }
    const fnHit = parseFunctionBody(ev.body);
    if (fnHit) return this.functionHit(ev, fnHit.fn, text, no);
    const kp = parseKprobeBody(ev.body);
    if (kp) return this.kprobeHit(ev, kp.fn, kp.args, kp.returnProbe, text, no);
    this.skip('FTRACE_UNKNOWN_EVENT', 'event is neither a config-accessor probe nor a trace marker', text, no);
  }

  private functionHit(ev: FtraceLine, fn: string, text: string, no: number): void {
    const info = accessorInfo(fn);
    if (!info || info.size === null) return this.skip('FTRACE_UNKNOWN_FUNCTION', `function-tracer hit on ${fn}, not a sized config accessor`, text, no);
    const access: AccessRecord = {
      t: 'access', ts: ev.ts, cpu: ev.cpu, pid: ev.pid, comm: ev.comm, op: info.op, seg: null, bus: null, devfn: null,
      off: null, size: info.size, val: null, ret: null, layer: info.layer, fn, stack: null, known: false, line: no,
    };
    this.pending.set(ev.cpu, { access, frames: [], via: 'function' });
  }

  /** An entry probe, or a return probe (`cfgscope boot-args` on 6.10+: reads with the value read
   *  and the return code; its stack starts at the caller, the accessor has returned). */
  private kprobeHit(ev: FtraceLine, fn: string, args: Map<string, string>, returnProbe: boolean, text: string, no: number): void {
    const info = accessorInfo(fn);
    if (!info) return this.skip('FTRACE_UNKNOWN_FUNCTION', `kprobe on ${fn}, not a config accessor`, text, no);
    const bus = argNumber(args.get('bus'));
    const devfn = argNumber(args.get('devfn'));
    const off = argNumber(args.get('where') ?? args.get('pos') ?? args.get('off'));
    const size = info.size ?? argNumber(args.get('len') ?? args.get('size'));
    if (bus === null || devfn === null || off === null) return this.skip('FTRACE_BAD_ARGS', 'kprobe event lacks bus=, devfn= or where=', text, no);
    if (size !== 1 && size !== 2 && size !== 4) return this.skip('FTRACE_BAD_ARGS', 'access size is not 1, 2 or 4', text, no);
    const ret = argNumber(args.get('ret'));
    // A read that failed (a PCIBIOS_* code) returns the all-ones the accessor filled in, not what
    // the register holds: its value is unknown.
    const failedRead = returnProbe && info.op === 'r' && ret !== null && ret !== 0;
    const access: AccessRecord = {
      t: 'access', ts: ev.ts, cpu: ev.cpu, pid: ev.pid, comm: ev.comm, op: info.op,
      seg: argNumber(args.get('seg') ?? args.get('domain')) ?? 0, bus, devfn, off, size,
      val: failedRead ? null : argNumber(args.get('val') ?? args.get('value')), ret,
      layer: info.layer, fn, stack: null, known: true, line: no,
    };
    // Arguments print as any number: one out of the format's ranges (bus 256, a negative value,
    // an offset past 4095) is skipped, not wrapped onto another device or register.
    const problem = accessProblem(access);
    if (problem !== null) return this.skip('FTRACE_BAD_ARGS', problem, text, no);
    this.pending.set(ev.cpu, { access, frames: [], via: 'kprobe' });
  }

  private endStackBlock(): void {
    if (this.stackCpu === null) return;
    const cpu = this.stackCpu;
    this.stackCpu = null;
    this.flush(cpu);
  }

  /** Emits the pending event of `cpu` with its stack, or records it as a nested hit. */
  private flush(cpu: number): void {
    const p = this.pending.get(cpu);
    if (!p) return;
    this.pending.delete(cpu);
    const a = p.access!;
    const frames = trimTracingFrames(this.modules.length > 0 ? p.frames.map((f) => this.moduleFrame(f)) : p.frames, a.fn);
    // The same call seen by a kprobe and by the function tracer: with the sym-offset option the
    // probed function's own frame differs (`+0x1` at the kprobe, `+0x5` after ftrace's call).
    const stackKey = frames.map((f, i) => (i === 0 ? frameFunction(f) : f)).join('\n');
    if (p.via === 'function' && a.op === 'w') {
      const prior = this.lastKprobeWrite.get(cpu);
      if (prior && prior.fn === a.fn && prior.pid === a.pid && prior.stack === stackKey) {
        this.lastKprobeWrite.delete(cpu);
        return this.send({ t: 'nested', layer: 'function', of: prior.line, line: a.line! });
      }
    }
    if (p.via === 'kprobe' && a.op === 'w') this.lastKprobeWrite.set(cpu, { fn: a.fn!, pid: a.pid!, stack: stackKey, line: a.line! });
    if (frames.length > 0) {
      const { id, isNew } = this.ctx.stacks.intern(frames, stackKey);
      if (isNew) this.send({ t: 'stack', id, frames });
      a.stack = id;
    }
    this.send(a);
  }

  /** `0xffffffffc02a9d69` inside a module the trace named -> `[nvme]+0x9d69` (offset from the
   *  module's load address; its function is not known without the module's symbols). */
  private moduleFrame(frame: string): string {
    if (!/^0x[0-9a-f]+$/.test(frame)) return frame;
    const addr = BigInt(frame);
    const m = this.modules.find((x) => addr >= x.base && addr < x.end);
    return m ? `[${m.name}]+0x${(addr - m.base).toString(16)}` : frame;
  }

  private skip(code: string, message: string, text: string, no: number): void {
    this.send({ t: 'skipped', code, message, line: no, text: text.length > 240 ? `${text.slice(0, 240)}...` : text });
  }

  private sendHeader(): void {
    if (this.headerSent) return;
    this.headerSent = true;
    this.emit(this.header);
  }

  private send(r: CaptureRecord): void {
    this.sendHeader();
    this.emit(r);
  }
}
