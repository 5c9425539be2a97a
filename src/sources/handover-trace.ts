// The handover, read at `cfgscope capture`'s start in the kernel a kexec started: the persistent
// trace instance the old kernel armed (`capture --arm-handover`) holds that kernel's shutdown, and
// this kernel said so in its log ("Ring buffer meta [N] is from previous boot!"). Its `trace` is
// read first, through the ftrace parser (phases from its markers, module frames named from its
// `cfgscope-module` markers, stacks), as the handover boot (side: kernel) into kernel 2, followed
// by kernel 2's own boot record: the boot-time buffer and the live part are kernel 2's.

import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { Observable } from 'rxjs';
import { CfgscopeError } from '../model/errors.js';
import type { CaptureRecord } from '../model/records.js';
import { ftraceFormat, PREVIOUS_BOOT } from '../parsers/ftrace.js';
import type { ParseContext } from '../parsers/parser.js';
import { handoverInstance } from './handover-arm.js';
import type { KernelLog } from './kernel-log.js';
import { LineSplitter } from './line-splitter.js';

/** --handover-trace: read it (true), never (false), or when the kernel log says so (undefined). */
export interface HandoverChoice {
  tracefs: string;
  instance: string;
  force: boolean | undefined;
  /** Read lazily: only when the instance exists and the user did not decide. */
  kernelLog: () => KernelLog;
}

export interface HandoverProbe {
  /** The instance's directory when its buffer is to be read, else null. */
  dir: string | null;
  reason: string;
}

/** Whether to read the instance's buffer as the previous boot's. Forced and unusable is an error;
 *  otherwise every "no" comes with its reason for the user. */
export function probeHandover(c: HandoverChoice): HandoverProbe {
  if (c.force === false) return { dir: null, reason: 'handover not read (--no-handover-trace)' };
  let dir: string;
  try {
    dir = handoverInstance(c.tracefs, c.instance);
  } catch (e) {
    if (c.force === true) throw e;
    if (e instanceof CfgscopeError && e.code === 'HANDOVER_NO_INSTANCE') return { dir: null, reason: `no handover: no trace instance ${c.instance} (boot-args --handover not on this kernel's command line)` };
    return { dir: null, reason: `no handover: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (c.force === true) return { dir, reason: `handover: reading ${dir}/trace (forced by --handover-trace)` };
  const log = c.kernelLog();
  if (log.text === null) return { dir: null, reason: `no handover read: the kernel log is unreadable (${log.reason}); --handover-trace reads ${dir}/trace anyway` };
  const said = log.text.split('\n').find((l) => PREVIOUS_BOOT.test(l));
  if (!said) return { dir: null, reason: `no handover: the kernel log (${log.from}) does not say ${c.instance}'s buffer is from the previous boot (it was not armed before a kexec into this kernel); --handover-trace reads it anyway` };
  return { dir, reason: `handover: the kernel log (${log.from}) says "${said.replace(/^.*?(Ring buffer meta)/, '$1')}": reading ${dir}/trace first` };
}

/** The kernel 2 boot record: this kernel, as its console would have named it. */
function thisKernel(procCmdline: string): CaptureRecord {
  let cmdline: string | undefined;
  try { cmdline = readFileSync(procCmdline, 'utf8').trim(); } catch { cmdline = undefined; }
  // The live part that follows is bpftrace's CLOCK_MONOTONIC, as in the header of a capture without a handover.
  return { t: 'boot', kernel: 2, segment: 'kernel', release: release(), ...(cmdline !== undefined ? { cmdline } : {}), clock: 'mono' };
}

/**
 * The handover boot record, the instance's `trace` through the ftrace parser, and kernel 2's
 * boot record. Reading `trace` does not consume it (nor turn the instance on): a second read, or
 * `cat`, sees the same records.
 */
export function handoverRecords(dir: string, ctx: ParseContext, procCmdline = '/proc/cmdline'): Observable<CaptureRecord> {
  return new Observable<CaptureRecord>((subscriber) => {
    const file = join(dir, 'trace');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      subscriber.error(new CfgscopeError('INPUT_UNREADABLE', (e as Error).message, { file }));
      return;
    }
    subscriber.next({ t: 'boot', kernel: 2, segment: 'handover', side: 'kernel' });
    const parser = ftraceFormat.create(ctx, (r) => { if (r.t !== 'header') subscriber.next(r); });
    const splitter = new LineSplitter((line, no) => parser.line(line, no));
    splitter.push(text);
    splitter.end();
    parser.end();
    subscriber.next(thisKernel(procCmdline));
    subscriber.complete();
  });
}
