// Says, on standard error, when a capture given as input is incomplete: closed on an interrupt
// (trailer `complete: false`) or cut off (no trailer: a crash, kill -9, a full disk). What a
// command prints about such a capture covers only the records it holds, and the reader must know.
// Raw traces have no trailer by nature and are not flagged. `--json` carries the same state in
// its `end` object (`trailer`: complete, incomplete or missing).

import type { InputFormat } from '../parsers/parser.js';
import type { EndEvent } from '../model/events.js';
import type { CliIo } from './cli-types.js';

export function incompleteNote(file: string, format: InputFormat, trailer: EndEvent['trailer']): string | null {
  if (format.kind !== 'capture' && format.kind !== 'packed') return null;
  if (trailer === 'complete') return null;
  const why = trailer === 'incomplete' ? 'its trailer says complete: false (its writer was interrupted)' : 'it has no trailer (cut off: a crash, kill -9 or a full disk)';
  return `${file} is an INCOMPLETE capture: ${why}; this covers only the records it holds`;
}

export function warnIfIncomplete(command: string, file: string, format: InputFormat, trailer: EndEvent['trailer'], io: CliIo): void {
  const note = incompleteNote(file, format, trailer);
  if (note) io.stderr(`cfgscope ${command}: WARNING: ${note}\n`);
}
