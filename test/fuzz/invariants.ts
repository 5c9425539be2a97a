// The invariants every run of the CLI must keep, whatever its input (docs/errors.md, issue 12):
// no stack trace, an exit status from the documented set (70, EX_SOFTWARE, is never right for bad
// input: it means an unexpected exception), no hang, bounded memory, and a fatal error that names
// its stable code. Each broken invariant is a Problem with a `kind` that groups failures by class.
import type { ProcessRun } from './cli-process.js';

export interface Problem {
  /** the failure class: `stack-trace`, `exit-70`, `hang`, `memory`, `not-skipped`, ... */
  kind: string;
  detail: string;
}

/** What a JavaScript stack trace or a runtime's fatal error looks like on stderr or stdout. */
const CRASH_PATTERNS: readonly RegExp[] = [
  /^\s+at .*(\(.*:\d+:\d+\)|:\d+:\d+$|\(native\)|<anonymous>)/m,
  /\b(TypeError|RangeError|ReferenceError|SyntaxError|EvalError|URIError|AggregateError)\b/,
  /FATAL ERROR|Allocation failed|heap out of memory|Maximum call stack/,
  /node:internal|UnhandledPromiseRejection|\bUncaught\b/,
];

/** The first line that looks like a crash, or null. */
export function crashLine(text: string): string | null {
  for (const re of CRASH_PATTERNS) {
    const m = re.exec(text);
    if (m) {
      const start = text.lastIndexOf('\n', m.index) + 1;
      const end = text.indexOf('\n', m.index);
      return text.slice(start, end < 0 ? undefined : end).trim().slice(0, 300);
    }
  }
  return null;
}

/** How a command says that a capture is not whole (a warning need not carry a code). */
export const TOLD_INCOMPLETE = /incomplete|truncated|cut off|no trailer|not complete/i;

/** A stable error code as docs/errors.md spells them: `CAPTURE_BAD_JSON`, `POLICY_NOT_FOUND`... */
export const CODE = /\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b/;

/**
 * The problems of one run. `allowed` is the documented exit set of the command for this input
 * (check: 0, 1, 65; import: 0, 65; ...).
 */
export function runProblems(run: ProcessRun, allowed: readonly number[]): Problem[] {
  const problems: Problem[] = [];
  const what = run.args.slice(0, 1).join(' ');
  if (run.timedOut) problems.push({ kind: 'hang', detail: `${what}: no exit within the time limit` });
  if (run.overMemory) problems.push({ kind: 'memory', detail: `${what}: peak RSS ${Math.round(run.peakRssKb / 1024)} MiB over the limit` });
  const crash = crashLine(run.stderr) ?? crashLine(run.stdout);
  if (crash !== null) problems.push({ kind: 'stack-trace', detail: `${what}: ${crash}` });
  if (!run.timedOut && !run.overMemory) {
    if (run.code === null) problems.push({ kind: 'signal', detail: `${what}: died of ${run.signal}` });
    else if (run.code === 70) problems.push({ kind: 'exit-70', detail: `${what}: exit 70: ${firstLine(run.stderr)}` });
    else if (!allowed.includes(run.code)) problems.push({ kind: `exit-${run.code}`, detail: `${what}: exit ${run.code} (documented: ${allowed.join(', ')}): ${firstLine(run.stderr)}` });
    else if (run.code === 65 && !CODE.test(run.stderr + run.stdout)) problems.push({ kind: 'uncoded-error', detail: `${what}: exit 65 without an error code: ${firstLine(run.stderr)}` });
  }
  return problems;
}

export function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.slice(0, 300);
}

/** Raw control characters that reach a terminal: C0 except tab and newline, DEL, C1, bidi overrides. */
export const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u202a-\u202e\u2066-\u2069]/;

/** Where a text output carries a raw control character, or null. */
export function rawControlAt(text: string): string | null {
  const m = RAW_CONTROL.exec(text);
  if (!m) return null;
  const ch = m[0].codePointAt(0)!.toString(16).padStart(2, '0');
  return `U+${ch.toUpperCase()} in ${JSON.stringify(text.slice(Math.max(0, m.index - 60), m.index + 20))}`;
}

/** A Markdown line without its code spans (a run of n backticks up to the next run of exactly n). */
export function withoutCodeSpans(line: string): string {
  let out = '';
  let i = 0;
  while (i < line.length) {
    if (line[i] !== '`') { out += line[i++]; continue; }
    let n = 0;
    while (line[i + n] === '`') n++;
    const fence = '`'.repeat(n);
    let close = line.indexOf(fence, i + n);
    while (close >= 0 && line[close + n] === '`') {
      let end = close;
      while (line[end] === '`') end++;
      close = line.indexOf(fence, end);
    }
    if (close < 0) { out += fence; i += n; continue; }
    i = close + n;
  }
  return out;
}

/** Raw HTML from a capture in a Markdown line: a `<img` outside code spans and not backslash-escaped. */
export function rawHtmlIn(line: string): boolean {
  return /(^|[^\\])<img/.test(withoutCodeSpans(line));
}
