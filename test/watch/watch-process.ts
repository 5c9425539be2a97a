// `cfgscope watch` as a real process: its output as it comes, and a way to wait for a line.
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from '../support/serve-process.js';

export interface WatchProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
  /** Resolves when stdout matches. */
  waitFor: (re: RegExp) => Promise<void>;
}

/** `cmd` wraps the command line (e.g. in `script` for a terminal); plain otherwise. */
export function runWatch(args: readonly string[], wrap?: (argv: string[]) => string[]): WatchProcess {
  const argv = [process.execPath, BIN, 'watch', ...args];
  const [cmd, ...rest] = wrap ? wrap(argv) : argv;
  const child = spawn(cmd!, rest, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CFGSCOPE_TOKEN: '' } });
  let out = '';
  let err = '';
  const waiters: Array<{ re: RegExp; resolve: () => void }> = [];
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.splice(0)) if (w.re.test(out)) w.resolve(); else waiters.push(w);
  });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exit = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  return {
    child, exit,
    stdout: () => out,
    stderr: () => err,
    waitFor: (re) => new Promise<void>((resolve, reject) => {
      if (re.test(out)) { resolve(); return; }
      waiters.push({ re, resolve });
      void exit.then(() => { if (!re.test(out)) reject(new Error(`watch exited before ${re}: ${out}\n${err}`)); });
    }),
  };
}

export interface WatchLine { seq: number; verdict: string; severity: string; bdf: string; register: string; vals: string; callSite: string; rule: string }

/** The finding lines of plain output (`#51 violation [error] 0000:00:04.0 COMMAND 0x0103 -> 0x0100 (...) by f, rule r, phase p`). */
export function findingLines(out: string): WatchLine[] {
  const re = /^#(\d+) (violation|expected) \[(\w+)\] (\S+) (\S+)(?: \(written as \S+\))? (\S+ -> \S+)(?: \([^)]*\))? by (\S+), rule (\S+), phase .*$/gm;
  return [...out.matchAll(re)].map((m) => ({ seq: Number(m[1]), verdict: m[2]!, severity: m[3]!, bdf: m[4]!, register: m[5]!, vals: m[6]!, callSite: m[7]!, rule: m[8]! }));
}
