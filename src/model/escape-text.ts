// The one escaping of text that came from outside (a capture, a raw trace, a policy's `why`, a
// server's message) before a text sink prints it. A terminal acts on control characters (ESC
// starts a colour, a cursor move or a title change; CR rewinds the line), and a newline inside a
// field would start an output line of its own: a comm or a phase label could print a forged
// `VIOLATION` line. So every C0 control (newline and tab included: inside a field they are
// data, the sink adds the newlines its structure needs), DEL, every C1 control, the Unicode line
// separators and the bidirectional overrides (which reorder what a reader sees) are shown as
// escapes: `\n`, `\t`, `\r`, `\x1b`, `\x85`, `\u202e`. Text without them is returned as it is,
// so ordinary output never changes.

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_ALL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: ReadonlyMap<string, string> = new Map([['\n', '\\n'], ['\r', '\\r'], ['\t', '\\t']]);

const escapeChar = (c: string): string => {
  const named = NAMED.get(c);
  if (named !== undefined) return named;
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
};

/** `s` with every control character escaped (see above); `s` itself when it has none. */
export function printable(s: string): string {
  return UNSAFE.test(s) ? s.replace(UNSAFE_ALL, escapeChar) : s;
}

/** One output line: printable, keeping the single newline that ends it. */
export const printableLine = (line: string): string => (line.endsWith('\n') ? `${printable(line.slice(0, -1))}\n` : printable(line));

const isWordChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9]/.test(c);
/** Characters that open Markdown (CommonMark + GFM) inline structure wherever they stand. A pipe
 *  only matters in a table row, where the renderer's cell() escapes it (escaping it here too
 *  would make `\\|` there: an escaped backslash, then a pipe that ends the cell). */
const INLINE = new Set(['\\', '`', '*', '[', ']', '<', '~']);
/** A line starting with one of these becomes a heading, quote, list item or setext underline. */
const LINE_START = /^(?:[#>+=-]|\d+[.)])/;

/**
 * Capture or policy text for the prose and table cells of the Markdown report: printable, then
 * every character that could open a link, an image, an HTML tag, a code span, emphasis, a
 * strike-through is backslash-escaped, and so is a first character that would
 * make a heading, quote or list of the line. `_` is left alone inside a word (GFM makes no
 * emphasis of `pci_read_bases`), so function names stay readable in the Markdown source.
 */
export function markdownText(text: string): string {
  const s = printable(text);
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (INLINE.has(c) || (c === '_' && !(isWordChar(s[i - 1]) && isWordChar(s[i + 1])))) out += `\\${c}`;
    else out += c;
  }
  return LINE_START.test(out) ? `\\${out}` : out;
}

/**
 * A Markdown code span of `text`: printable, fenced by one backtick more than the longest run of
 * backticks inside it (a backslash does not escape in a code span), padded with a space when it
 * starts or ends with a backtick. Pipes are the table cell's business (they end a cell even here).
 */
export function markdownCode(text: string): string {
  const s = printable(text);
  let longest = 0;
  let run = 0;
  for (const c of s) {
    run = c === '`' ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  const fence = '`'.repeat(longest + 1);
  const pad = s.startsWith('`') || s.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${s}${pad}${fence}`;
}
