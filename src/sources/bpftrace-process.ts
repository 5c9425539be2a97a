// A running bpftrace as a source of capture records: its stdout is split into lines as it arrives
// and fed to the same bpftrace parser `import` uses, so a live run and the import of its saved
// output give the same records. Stopping it is bpftrace's own way: SIGINT makes it run END and
// print its maps (the @count reconciliation); a bounded wait then SIGKILL covers a stuck tracer.

import { spawn, type ChildProcess } from 'node:child_process';
import { Observable } from 'rxjs';
import type { CaptureRecord } from '../model/records.js';
import { bpftraceFormat } from '../parsers/bpftrace.js';
import type { ParseContext } from '../parsers/parser.js';
import { LineSplitter } from './line-splitter.js';

export interface BpftraceRun {
  /** Executable and arguments (the probe file and its positional filter parameters). */
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Name shown in record locations, e.g. `bpftrace:stdout`. */
  label: string;
}

/** How the tracer ended. */
export interface BpftraceExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** We asked it to stop (SIGINT) and it exited within the wait. */
  stoppedByUs: boolean;
  /** The wait for its END output ran out and it was killed. */
  killed: boolean;
  /** It printed its end banner (END ran): the @count map that follows is whole. */
  sawEnd: boolean;
}

export class BpftraceProcess {
  private child: ChildProcess | null = null;
  private stopRequested = false;
  private killed = false;
  private sawEnd = false;
  private exitInfo: BpftraceExit | null = null;
  private killTimer: NodeJS.Timeout | null = null;

  constructor(private readonly run: BpftraceRun, private readonly onStderr: (line: string) => void) {}

  /**
   * Starts bpftrace on subscribe and emits its records as its stdout arrives; completes once its
   * stdout is closed and the process has exited (then `exit` is set). Never errors for a tracer
   * that dies: the caller reads `exit` and closes the capture as incomplete.
   */
  records(ctx: ParseContext): Observable<CaptureRecord> {
    return new Observable<CaptureRecord>((subscriber) => {
      if (this.stopRequested) {
        // Stopped before it started (Ctrl-C while the boot trace was read): never attach.
        this.exitInfo = { code: null, signal: null, stoppedByUs: true, killed: false, sawEnd: false };
        subscriber.complete();
        return undefined;
      }
      const parser = bpftraceFormat.create(ctx, (r) => {
        if (r.t === 'phase' && r.label === 'bpftrace end') this.sawEnd = true;
        subscriber.next(r);
      });
      const out = new LineSplitter((text, no) => parser.line(text, no));
      const err = new LineSplitter((text) => this.onStderr(text));
      // Own process group: a terminal's Ctrl-C reaches cfgscope only, which forwards it once.
      const child = spawn(this.run.command, this.run.args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: this.run.env ?? process.env });
      this.child = child;
      child.stdout!.setEncoding('utf8');
      child.stderr!.setEncoding('utf8');
      child.stdout!.on('data', (chunk: string) => out.push(chunk));
      child.stderr!.on('data', (chunk: string) => err.push(chunk));
      let stdoutClosed = false;
      let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
      let finished = false;
      const finish = (): void => {
        if (finished || !stdoutClosed || !exited) return;
        finished = true;
        if (this.killTimer) clearTimeout(this.killTimer);
        out.end();
        err.end();
        parser.end();
        this.exitInfo = { ...exited, stoppedByUs: this.stopRequested && !this.killed, killed: this.killed, sawEnd: this.sawEnd };
        subscriber.complete();
      };
      child.stdout!.on('close', () => { stdoutClosed = true; finish(); });
      child.on('error', (e) => {
        // spawn failed (ENOENT after the preflight, EACCES): no stdout will come.
        this.onStderr(`cannot run ${this.run.command}: ${e.message}`);
        stdoutClosed = true;
        exited = { code: null, signal: null };
        finish();
      });
      child.on('exit', (code, signal) => { exited = { code, signal }; finish(); });
      return () => {
        // Unsubscribed before the tracer ended (an error downstream): do not leave it attached.
        if (!exited && child.pid !== undefined) { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } }
        if (this.killTimer) clearTimeout(this.killTimer);
      };
    });
  }

  /**
   * Asks bpftrace to stop (SIGINT: END runs, maps are printed) and kills it with SIGKILL if it is
   * still running `waitMs` later. Called again (a second Ctrl-C) with 0: kills it now.
   */
  stop(waitMs: number): void {
    const child = this.child;
    if (!child) { this.stopRequested = true; return; }
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const kill = (): void => {
      this.killed = true;
      try { child.kill('SIGKILL'); } catch { /* already gone */ }
    };
    if (this.stopRequested) {
      if (waitMs === 0) { if (this.killTimer) clearTimeout(this.killTimer); kill(); }
      return;
    }
    this.stopRequested = true;
    try { child.kill('SIGINT'); } catch { return; }
    this.killTimer = setTimeout(kill, waitMs);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get exit(): BpftraceExit | null {
    return this.exitInfo;
  }
}
