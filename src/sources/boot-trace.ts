// The boot-time ftrace buffer that `cfgscope boot-args` sets up (kprobe events in the `pci`
// group, the function tracer on pci_bus_write_config_*). bpftrace only starts in userspace; when a
// machine was booted with those arguments, `capture` reads this buffer first, through the ftrace
// parser, so the capture starts at boot instead of at the moment capture ran.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Observable } from 'rxjs';
import type { CaptureRecord } from '../model/records.js';
import { ftraceFormat } from '../parsers/ftrace.js';
import type { ParseContext } from '../parsers/parser.js';
import { LineSplitter } from './line-splitter.js';

/** The kprobe_event group `cfgscope boot-args` defines (`p:pci/wb,pci_bus_write_config_byte,...`). */
const BOOT_GROUP = /^p:pci\/\w+ pci_(bus|user)_(read|write)_config_/m;
const BOOT_FUNCTION = /^pci_bus_write_config_(byte|word|dword)\b/m;

const readOr = (file: string): string | null => {
  try { return readFileSync(file, 'utf8'); } catch { return null; }
};

/** Why the boot buffer is (or is not) cfgscope's: a message for the user either way. */
export interface BootTraceProbe {
  present: boolean;
  reason: string;
}

/** Is this tracefs holding a boot trace made with `cfgscope boot-args`? */
export function probeBootTrace(tracefs: string): BootTraceProbe {
  const kprobes = readOr(join(tracefs, 'kprobe_events')) ?? '';
  const filter = readOr(join(tracefs, 'set_ftrace_filter')) ?? '';
  const byKprobe = BOOT_GROUP.test(kprobes);
  const byFunction = BOOT_FUNCTION.test(filter) && (readOr(join(tracefs, 'current_tracer')) ?? '').trim() === 'function';
  if (!byKprobe && !byFunction) return { present: false, reason: 'no cfgscope boot-args events in tracefs (boot without them: the capture starts when bpftrace attaches)' };
  return { present: true, reason: `boot trace found (${[byKprobe && 'kprobe events pci/*', byFunction && 'function tracer on pci_bus_write_config_*'].filter(Boolean).join(', ')})` };
}

/**
 * The boot buffer (`trace`, read without consuming it) as capture records. Reading `trace`
 * pauses recording while the file is open, so the text is one consistent snapshot.
 */
export function bootTraceRecords(tracefs: string, ctx: ParseContext): Observable<CaptureRecord> {
  return new Observable<CaptureRecord>((subscriber) => {
    const text = readOr(join(tracefs, 'trace'));
    if (text === null) { subscriber.complete(); return; }
    const parser = ftraceFormat.create(ctx, (r) => subscriber.next(r));
    const splitter = new LineSplitter((line, no) => parser.line(line, no));
    splitter.push(text);
    splitter.end();
    parser.end();
    subscriber.complete();
  });
}
