// One meaning per option name: `--format` is the output format in every command (report's
// markdown|email|junit), and the input format is `--input-format <kind>` in every command that
// reads a trace. import, replay, check, diff and serve used to take the input format as
// `--format`/`-f`: there the old spelling is refused with a usage error (exit 64) that names the
// new option, so a script written for the old meaning stops with a message instead of quietly
// meaning something else.

import { InvalidArgumentError, Option } from 'commander';
import { UsageError } from '../model/errors.js';
import { FORMATS } from '../parsers/index.js';
import type { FileSourceOptions } from '../sources/records-from-file.js';

export interface InputFormatOptions { inputFormat?: string }

const KINDS: readonly string[] = FORMATS.map((f) => f.kind);
const isKind = (v: string): boolean => KINDS.includes(v);

/** `--input-format <kind>`: checked before anything is read (a usage error, exit 64). */
export function inputFormatOption(what = 'input format instead of detecting it'): Option {
  return new Option('--input-format <kind>', `${what}: ${KINDS.join(', ')}`).argParser((v: string) => {
    if (!isKind(v)) throw new InvalidArgumentError(`UNKNOWN_FORMAT: not an input format; one of ${KINDS.join(', ')}`);
    return v;
  });
}

/** What resolveFormat takes: the forced format, or nothing to detect it. */
export const fileSourceOptions = (opts: InputFormatOptions): FileSourceOptions => (opts.inputFormat ? { format: opts.inputFormat } : {});

/** The tail of an output-format error when the value names an input format. */
export const inputFormatHint = (v: string): string => (isKind(v) ? `; "${v}" is an input format: --input-format ${v}` : '');

/**
 * The old `-f, --format <kind>` of a command that has no output format to choose: hidden from
 * --help, refused whatever its value with OPTION_RENAMED. `output` says how that command does
 * choose its output, when it can (`--json for NDJSON`).
 */
export function retiredFormatOption(command: string, output?: string): Option {
  return new Option('-f, --format <kind>').hideHelp().argParser((v: string): never => {
    const instead = isKind(v) ? `--input-format ${v}` : `--input-format <kind> (${KINDS.join(', ')})`;
    throw new UsageError('OPTION_RENAMED', `${command} --format ${v}: --format (-f) names the output format in every command${output ? ` (${command}: ${output})` : `, and ${command} has none to choose`}; `
      + `the input format is ${instead}`);
  });
}
