// The message and exit status for an error that ended a command, wherever it was raised: main()
// and the process-wide handlers of bin/cfgscope.js (an error thrown in a stream callback or timer).
// A CfgscopeError says its code and location (65, or 64 for a UsageError); anything else is a bug
// of cfgscope's, INTERNAL (70), with its stack only under CFGSCOPE_DEBUG=1.

import { CfgscopeError, isCfgscopeError, UsageError } from '../model/errors.js';
import { printable } from '../model/escape-text.js';
import { reason } from '../sinks/atomic-file.js';
import { EXIT_DATA, EXIT_INTERNAL, EXIT_USAGE } from './cli-types.js';

/** `cfgscope replay | head`: the reader went away; not an error of cfgscope's. */
export const isBrokenPipe = (e: unknown): boolean => (e as NodeJS.ErrnoException | null)?.code === 'EPIPE';

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
