// Modules of the page (web/js) that are the server's own tables and code, served from the server's
// copy instead of kept as a second copy in web/: the page and the server (and `watch`) cannot
// disagree on them. Each is a plain ES module the page imports like its other files
// (`./close-codes.js`). Code is served as the running program's own text of it (a function's or
// class's source, as compiled), so each one served must use nothing but its arguments and
// globals; test/server/page-modules.test.ts imports every module alone to hold that.

import { bootName, bootOrder } from '../model/boots.js';
import { FATAL_CLOSES } from './close-codes.js';
import { SeqCursor } from './seq-cursor.js';

/** A function or a class: its text is served. */
type Served = ((...args: never[]) => unknown) | (new () => unknown);

/** `export const name = <its source>;` for each: the name stays the page's whatever the compiler
 *  called the function or class inside the program (a bundler may rename it). */
function codeModule(from: string, exports: Record<string, Served>): string {
  const lines = Object.entries(exports).map(([name, f]) => `export const ${name} = ${f.toString()};\n`);
  return `// Served by cfgscope from ${from}.\n${lines.join('')}`;
}

/** URL path -> module text. */
export function pageModules(): ReadonlyMap<string, string> {
  return new Map([
    ['/js/close-codes.js', '// Served by cfgscope from src/server/close-codes.ts (docs/protocol.md, "Close codes").\n'
      + '/** [code, refused ("token" | "message"), what it means]: reconnecting would be refused the same way. */\n'
      + `export const FATAL_CLOSES = ${JSON.stringify(FATAL_CLOSES)};\n`],
    ['/js/boots.js', codeModule('src/model/boots.ts (the names of a kexec capture\'s boots)', { bootName, bootOrder })],
    ['/js/seq-cursor.js', codeModule('src/server/seq-cursor.ts (the events a client has, by seq)', { SeqCursor })],
  ]);
}
