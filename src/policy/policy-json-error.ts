// Where a JSON text goes wrong, for POLICY_BAD_JSON's line and column. JSON.parse's messages
// differ between Node versions and often carry no position at all (Node 20: "Unexpected token
// ']', ..." for a trailing comma in an array), so this is a minimal RFC 8259 scanner that only
// finds the offset of the first error; the words of the message still come from JSON.parse.

const WS = new Set([' ', '\t', '\n', '\r']);
const MAX_DEPTH = 1000;

/** Thrown inside the scanner to unwind to the top with the offset. */
class SyntaxAt {
  constructor(readonly offset: number) {}
}

/** Offset of the first syntax error in `text`, or -1 when it is valid JSON. */
export function jsonErrorOffset(text: string): number {
  // Sticky regexes keep their position in lastIndex: made per call, so no state outlives it.
  const numberRe = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
  const escapeRe = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y;
  let i = 0;
  const fail = (): never => { throw new SyntaxAt(i); };
  const ws = (): void => { while (i < text.length && WS.has(text[i]!)) i++; };
  const expect = (c: string): void => { if (text[i] !== c) fail(); i++; };

  const string = (): void => {
    expect('"');
    for (;;) {
      const c = text[i];
      if (c === undefined || c < ' ') fail();
      if (c === '"') { i++; return; }
      if (c === '\\') {
        escapeRe.lastIndex = i;
        if (!escapeRe.test(text)) fail();
        i = escapeRe.lastIndex;
      } else i++;
    }
  };

  // The scanner recurses per level: past MAX_DEPTH it stops there and names that offset (a text
  // nested 100,000 deep overflowed the stack: exit 70 instead of POLICY_BAD_JSON). No policy nests
  // more than a few levels.
  let depth = 0;
  const value = (): void => {
    ws();
    const c = text[i];
    if ((c === '{' || c === '[') && depth >= MAX_DEPTH) fail();
    depth++;
    try { container(c); } finally { depth--; }
  };

  const container = (c: string | undefined): void => {
    if (c === '{') {
      i++; ws();
      if (text[i] === '}') { i++; return; }
      for (;;) {
        ws(); string(); ws(); expect(':'); value(); ws();
        if (text[i] === ',') { i++; continue; }
        expect('}');
        return;
      }
    }
    if (c === '[') {
      i++; ws();
      if (text[i] === ']') { i++; return; }
      for (;;) {
        value(); ws();
        if (text[i] === ',') { i++; continue; }
        expect(']');
        return;
      }
    }
    if (c === '"') return string();
    for (const lit of ['true', 'false', 'null']) {
      if (text.startsWith(lit, i)) { i += lit.length; return; }
    }
    numberRe.lastIndex = i;
    if (!numberRe.test(text)) fail();
    i = numberRe.lastIndex;
  };

  try {
    value(); ws();
    if (i < text.length) fail();
    return -1;
  } catch (e) {
    if (e instanceof SyntaxAt) return e.offset;
    throw e;
  }
}

/** 1-based line and column of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  return { line: before.split('\n').length, column: offset - before.lastIndexOf('\n') };
}

/**
 * JSON.parse's message without the parts this file's own location replaces (V8's quoted source
 * excerpt, its position), on one line: V8 may name a newline as the unexpected token.
 */
export const jsonErrorWords = (message: string): string =>
  message.replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, '').replace(/ in JSON at position \d+.*$/s, '')
    .replace(/[\u0000-\u001f]/g, (c) => JSON.stringify(c).slice(1, -1));
