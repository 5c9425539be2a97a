// cfgscope's command line. Each command lives in its own file; this one only wires them to
// commander and turns every error into a one-line message with a code and an exit status
// (fatal.ts). Exit status 1 is left to mean "violations found". Command files import what they
// share from cli-types.ts, never from here. The bundle's entry point: bin/cfgscope.js takes
// main() and the process-wide error handlers' helpers from this module.

import { Command, CommanderError } from 'commander';
import { bootArgsCommand } from './boot-args-command.js';
import { captureCommand } from './capture-command.js';
import { EXIT_USAGE, type CliIo, type CliResult } from './cli-types.js';
import { checkCommand } from './check-command.js';
import { crosscheckCommand } from './crosscheck-command.js';
import { diffCommand } from './diff-command.js';
import { describeFatal, isBrokenPipe } from './fatal.js';
import { addHelpExamples } from './help-examples.js';
import { fleetCommand } from './fleet-command.js';
import { importCommand } from './import-command.js';
import { packageVersion } from './package-version.js';
import { policyLintCommand } from './policy-lint-command.js';
import { reportCommand } from './report-command.js';
import { replayCommand } from './replay-command.js';
import { serveCommand } from './serve-command.js';
import { watchCommand } from './watch-command.js';

const processIo: CliIo = {
  stdout: (t) => { process.stdout.write(t); },
  stderr: (t) => { process.stderr.write(t); },
};

export function buildProgram(io: CliIo, result: CliResult): Command {
  const program = new Command('cfgscope')
    .description('Which kernel call site touched which PCI config-space register of which device, and was that allowed?')
    .version(packageVersion(), '-V, --version', 'print cfgscope\'s version (package.json) and exit')
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
  addHelpExamples(program);
  return program;
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

export { describeFatal, describeStdioFatal, isBrokenPipe } from './fatal.js';
