// One meaning per option name across commands: where a command spelled an option another way
// than the others (`capture --serve <host:port>` for what `serve` calls `--listen <host:port>`),
// the old spelling is hidden from --help and keeps working, with one OPTION_RENAMED line on
// stderr naming the new one, so scripts (and the lab's /init) do not break; both at once is a
// usage error. (A name that now means something else, `--format`, is refused instead:
// input-format-option.ts.)

import { Option } from 'commander';
import { UsageError } from '../model/errors.js';

/** The old spelling, `flags` as commander takes them (`--serve <host:port>`), hidden from --help. */
export function renamedOption(command: string, flags: string, now: string): Option {
  return new Option(flags, `${command}: the old spelling of ${now}`).hideHelp();
}

/** The option's value under its new name or its old one (said on stderr as renamed). */
export function renamedValue(command: string, old: Record<string, string | undefined>, now: string, value: string | undefined, say: (line: string) => void): string | undefined {
  const [name, given] = Object.entries(old).find(([, v]) => v !== undefined) ?? [];
  if (name === undefined || given === undefined) return value;
  if (value !== undefined) throw new UsageError('OPTION_RENAMED', `${command} ${name} ${given} and ${now} ${value}: ${name} is the old spelling of ${now}; give ${now} only`);
  say(`OPTION_RENAMED: ${name} is spelled ${now} now (as in every command); ${name} ${given} is taken as ${now} ${given}`);
  return given;
}
