// cfgscope's command line. Each command lives in its own file; this one wires them to commander
// and turns CfgscopeErrors into a one-line message with code and location, and an exit status.

import { Command, CommanderError } from 'commander';
import { isCfgscopeError } from '../model/errors.js';
import { printable } from '../model/escape-text.js';
import { bootArgsCommand } from './boot-args-command.js';
import { captureCommand } from './capture-command.js';
import { checkCommand } from './check-command.js';
import { crosscheckCommand } from './crosscheck-command.js';
import { diffCommand } from './diff-command.js';
import { importCommand } from './import-command.js';
import { policyLintCommand } from './policy-lint-command.js';
import { reportCommand } from './report-command.js';
import { replayCommand } from './replay-command.js';
import { serveCommand } from './serve-command.js';
import { watchCommand } from './watch-command.js';

export const EXIT_USAGE = 64;
export const EXIT_DATA = 65;

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
  return program;
}

/** Runs the CLI; resolves to the exit status. */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const result: CliResult = { code: 0 };
  const program = buildProgram(io, result);
  try {
    await program.parseAsync(argv);
    return result.code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : EXIT_USAGE;
    if (isCfgscopeError(e)) {
      io.stderr(`cfgscope: ${printable(e.message)}\n`); // messages quote input (paths, a server's close reason)
      return EXIT_DATA;
    }
    throw e;
  }
}
