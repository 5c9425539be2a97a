#!/usr/bin/env node
// Large raw tracer output made of the real fixtures, for import speed and for the awk
// alternative: ftrace text from the lab's and the q35 run's serial consoles (their trace sections:
// event lines and ` => ` stack lines; the kexec log's two traces), and the bundled bpftrace probe's
// text output. Each round repeats one source's events with its timestamps shifted past the
// previous round (ftrace `%5lu.%06lu` seconds, bpftrace ns=), so the text is what a long run
// prints. Addresses are left as the kernel printed them: the text formats carry no segment.
// The count of accesses is what cfgscope imports from it (function-tracer hits that a kprobe
// event already recorded are merged, not counted), measured on one round of each source.
// Usage: node test/bench/make-raw-text.mjs <ftrace|bpftrace> <accesses> <out>

import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FTRACE_SOURCES = ['qemu-6.1-q35-basic', 'lab-kexec', 'lab-resets', 'lab-sriov'].map((d) => `${ROOT}test/fixtures/${d}/serial.log`);
const BPFTRACE_SOURCE = `${ROOT}test/fixtures/bpftrace/probe-phases.txt`;

const FTRACE_TS = /^(.*?\]\s+(?:[.a-zA-Z0-9]{4,5}\s+)?)(\d+)\.(\d{6})(: .*)$/;
const NS = / ns=(\d+) /;

/** Trace section of a serial log: event and stack lines, without `#` headers and `=====` marks. */
function ftraceBody(file) {
  const out = [];
  let inTrace = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('=====BEGIN TRACE')) { inTrace = true; continue; }
    if (line.startsWith('=====END TRACE')) { inTrace = false; continue; }
    if (inTrace && !line.startsWith('#') && line.trim() !== '') out.push(line.replace(/\r$/, ''));
  }
  return out;
}

function ftraceHeader() {
  const text = readFileSync(FTRACE_SOURCES[0], 'utf8').split('\n');
  const at = text.findIndex((l) => l.startsWith('# tracer:'));
  const head = [];
  // Without the entries-in-buffer line: its counts are the original run's, not this file's.
  for (let i = at; text[i]?.startsWith('#'); i++) if (!text[i].startsWith('# entries-in-buffer')) head.push(text[i].replace(/\r$/, ''));
  return head;
}

/** Shifts every event line's timestamp by `usec` microseconds. */
function retimeFtrace(lines, usec) {
  return lines.map((l) => {
    const m = FTRACE_TS.exec(l);
    if (!m) return l;
    const t = Number(m[2]) * 1e6 + Number(m[3]) + usec;
    const ts = `${String(Math.floor(t / 1e6)).padStart(5)}.${String(t % 1e6).padStart(6, '0')}`;
    return `${m[1].trimEnd()} ${ts}${m[4]}`;
  });
}

function ftraceRounds() {
  return FTRACE_SOURCES.map((f) => {
    const body = ftraceBody(f);
    let last = 0;
    for (const l of body) { const m = FTRACE_TS.exec(l); if (m) last = Math.max(last, Number(m[2]) + 1); }
    return { body, spanUsec: last * 1e6 };
  });
}

function bpftraceRounds() {
  const text = readFileSync(BPFTRACE_SOURCE, 'utf8').split('\n');
  const start = text.findIndex((l) => l.startsWith('cfgscope-bpftrace v1 start'));
  const end = text.findIndex((l) => l.startsWith('cfgscope-bpftrace v1 end'));
  const body = text.slice(start + 1, end);
  let last = 0n;
  for (const l of body) { const m = NS.exec(l); if (m) last = BigInt(m[1]) > last ? BigInt(m[1]) : last; }
  return { head: text.slice(0, start + 1), tail: text.slice(end), body, spanNs: last };
}

async function importedAccesses(text) {
  const dir = mkdtempSync(join(tmpdir(), 'cfgscope-round-'));
  const file = join(dir, 'round.txt');
  const fd = openSync(file, 'w');
  writeSync(fd, text);
  closeSync(fd);
  const { readAll } = await import(`${ROOT}dist/sources/records-from-file.js`);
  const n = (await readAll(file)).filter((r) => r.t === 'access').length;
  rmSync(dir, { recursive: true, force: true });
  return n;
}

/** Writes about `want` accesses of ftrace text (whole rounds); returns the exact count. */
export async function makeFtraceText(want, out) {
  const header = ftraceHeader();
  const rounds = ftraceRounds();
  const per = [];
  for (const r of rounds) per.push(await importedAccesses(`${[...header, ...r.body].join('\n')}\n`));
  const fd = openSync(out, 'w');
  writeSync(fd, `${header.join('\n')}\n`);
  let n = 0;
  let shift = 0;
  for (let i = 0; n < want; i++) {
    const r = rounds[i % rounds.length];
    writeSync(fd, `${retimeFtrace(r.body, shift).join('\n')}\n`);
    n += per[i % rounds.length];
    shift += r.spanUsec;
  }
  closeSync(fd);
  return n;
}

/** Writes about `want` accesses of bpftrace text output (whole rounds); returns the exact count. */
export async function makeBpftraceText(want, out) {
  const { head, tail, body, spanNs } = bpftraceRounds();
  const per = await importedAccesses(`${[...head, ...body, ...tail].join('\n')}\n`);
  const fd = openSync(out, 'w');
  writeSync(fd, `${head.join('\n')}\n`);
  let n = 0;
  let shift = 0n;
  while (n < want) {
    const s = shift;
    writeSync(fd, `${body.map((l) => l.replace(NS, (_, ns) => ` ns=${BigInt(ns) + s} `)).join('\n')}\n`);
    n += per;
    shift += spanNs;
  }
  const end = tail.map((l) => l.replace(/ ns=(\d+)/, (_, ns) => ` ns=${BigInt(ns) + shift}`));
  writeSync(fd, `${end.join('\n')}\n`);
  closeSync(fd);
  return n;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [kind, wantArg, out] = process.argv.slice(2);
  if (!['ftrace', 'bpftrace'].includes(kind) || !wantArg || !out) {
    console.error('usage: make-raw-text.mjs <ftrace|bpftrace> <accesses> <out>');
    process.exit(64);
  }
  const n = await (kind === 'ftrace' ? makeFtraceText : makeBpftraceText)(Number(wantArg), out);
  console.error(`${out}: ${n} accesses`);
}
