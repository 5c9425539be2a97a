// Modules of the page (web/js) that are tables of the server's own, served from the server's copy
// instead of kept as a second copy in web/: the page and the server cannot disagree on them.
// Each is a plain ES module the page imports like its other files (`./close-codes.js`).

import { FATAL_CLOSES } from './close-codes.js';

/** URL path -> module text. */
export function pageModules(): ReadonlyMap<string, string> {
  return new Map([
    ['/js/close-codes.js', '// Served by cfgscope from src/server/close-codes.ts (docs/protocol.md, "Close codes").\n'
      + '/** [code, refused ("token" | "message"), what it means]: reconnecting would be refused the same way. */\n'
      + `export const FATAL_CLOSES = ${JSON.stringify(FATAL_CLOSES)};\n`],
  ]);
}
