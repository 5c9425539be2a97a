// Word wrapping for the plain-text (e-mail) report. Mailing lists expect lines of at most 72
// columns so a reply's `> ` quoting still fits 80; the width is a hard limit: a word longer than
// a line (a long stack frame) is cut, never allowed to overflow.

export const EMAIL_WIDTH = 72;

/** Joins words that must stay on one line (`0x0103 -> 0x0100`); printed as a space. */
export const GLUE = '\u0001';

/** Lines of `text` wrapped at `width` columns; the first line starts with `first`, the rest with `rest`. */
export function wrap(text: string, width: number, first = '', rest = first): string[] {
  if (first.length >= width || rest.length >= width) throw new RangeError(`indent wider than ${width} columns`);
  const out: string[] = [];
  let line = first;
  let empty = true;
  const room = (): number => width - line.length;
  for (let word of text.split(/[ \t\n]+/).filter(Boolean)) {
    if (!empty && word.length + 1 <= room()) { line += ` ${word}`; continue; }
    if (!empty) { out.push(line); line = rest; }
    // Cut what cannot fit on a fresh line; `rest` always leaves room (callers indent a few columns).
    while (word.length > room()) {
      out.push(line + word.slice(0, room()));
      word = word.slice(room());
      line = rest;
    }
    line += word;
    empty = false;
  }
  if (!empty || out.length === 0) out.push(line.trimEnd());
  return out.map((l) => l.replaceAll(GLUE, ' '));
}
