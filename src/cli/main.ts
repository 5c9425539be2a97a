// cfgscope's command line. Each command lives in its own file; this one wires them to commander
// and turns every error into a one-line message with a code and an exit status: a CfgscopeError
// with its code and location (65, or 64 for a UsageError), anything else as INTERNAL (70) with
// its stack only under CFGSCOPE_DEBUG=1. Exit status 1 is left to mean "violations found".

import { Command, CommanderError } from 'commander';
import { CfgscopeError, isCfgscopeError, UsageError } from '../model/errors.js';
import { printable } from '../model/escape-text.js';
import { reason } from '../sinks/atomic-file.js';
import { bootArgsCommand } from './boot-args-command.js';
import { captureCommand } from './capture-command.js';
import { checkCommand } from './check-command.js';
import { crosscheckCommand } from './crosscheck-command.js';
import { diffCommand } from './diff-command.js';
import { fleetCommand } from './fleet-command.js';
import { importCommand } from './import-command.js';
import { policyLintCommand } from './policy-lint-command.js';
import { reportCommand } from './report-command.js';
import { replayCommand } from './replay-command.js';
import { serveCommand } from './serve-command.js';
import { watchCommand } from './watch-command.js';

export const EXIT_USAGE = 64;
export const EXIT_DATA = 65;
/** EX_SOFTWARE: a bug of cfgscope's, not of the input. */
export const EXIT_INTERNAL = 70;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIo: CliIo = {
  stdout: (t) => { process.stdout.write(t); },
  stderr: (t) => { process.stderr.write(t); },
};

/** The exit status a command asks for (a replay that saw lost events, a check that failed...). */
export interface CliResult {
  code: number;
}

export function buildProgram(io: CliIo, result: CliResult): Command {
  const program = new Command('cfgscope')
    .description('Which kernel call site touched which PCI config-space register of which device, and was that allowed?')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  importCommand(program, io, result);
  replayCommand(program, io, result);
  checkCommand(program, io, result);
  reportCommand(program, io, result);
  diffCommand(program, io, result);
  policyLintCommand(program, io, result);
  bootArgsCommand(program, io, result);
  captureCommand(program, io, result);
  serveCommand(program, io, result);
  watchCommand(program, io, result);
  crosscheckCommand(program, io, result);
  fleetCommand(program, io, result);
  return program;
}

/** `cfgscope replay | head`: the reader went away; not an error of cfgscope's. */
export const isBrokenPipe = (e: unknown): boolean => (e as NodeJS.ErrnoException | null)?.code === 'EPIPE';

/**
 * The message and exit status for an error that ended a command, wherever it was raised: main()
 * and the process-wide handlers of bin/cfgscope.js (an error thrown in a stream callback or timer).
 */
export function describeFatal(e: unknown, env: NodeJS.ProcessEnv = process.env): { message: string; code: number } {
  // Messages quote input (paths, a server's close reason, a record's field): printed escaped.
  if (isCfgscopeError(e)) return { message: `cfgscope: ${printable(e.message)}\n`, code: e instanceof UsageError ? EXIT_USAGE : EXIT_DATA };
  const text = printable(e instanceof Error ? e.message : String(e));
  const stack = env['CFGSCOPE_DEBUG'] === '1' && e instanceof Error && e.stack ? `${e.stack}\n` : '';
  return { message: `cfgscope: internal error (INTERNAL): ${text}\n${stack}`, code: EXIT_INTERNAL };
}

/** A failed write to standard output or error (`> /dev/full`): an output error (65), not a bug. */
export function describeStdioFatal(e: unknown, name: string): { message: string; code: number } {
  return describeFatal(new CfgscopeError('OUTPUT_WRITE_FAILED', `writing failed: ${reason(e)}`, { file: name }));
}

/** Runs the CLI; resolves to the exit status. Never rejects. */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const result: CliResult = { code: 0 };
  try {
    const program = buildProgram(io, result);
    await program.parseAsync(argv);
    return result.code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : EXIT_USAGE;
    if (isBrokenPipe(e)) return 0;
    const f = describeFatal(e);
    io.stderr(f.message);
    return f.code;
  }
}
