#!/usr/bin/env node
// Makes a large capture out of the real ones in replays/, for speed and memory measurements
// (streaming must stay flat however long the trace). Re-addressed: each source capture gets a
// PCI segment of its own (segment i for source i: one machine with five host bridges, each with
// the devices, stacks and write mix its real run had). Re-timed: rounds take the sources in turn,
// each round's timestamps shifted past the previous round's, rounded to the microsecond as
// ftrace prints them. Stack ids are renumbered per source. Device, stack and header records come
// first; the body repeats access, phase and nested records until `accesses` are written.
// Usage: node test/bench/make-large-capture.mjs <accesses> <out> [source capture...]

import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The kernel-side captures: the device-side QEMU log is another kind of source. */
export const MIX_SOURCES = [
  'replays/qemu-6.1-q35-basic/kernel.capture.ndjson',
  'replays/qemu-6.1-bpftrace/probe-phases.capture.ndjson',
  'replays/lab-kexec/kernel.capture.ndjson',
  'replays/lab-resets/kernel.capture.ndjson',
  'replays/lab-sriov/kernel.capture.ndjson',
].map((p) => ROOT + p);

const BODY = new Set(['access', 'phase', 'nested']);
const seg4 = (n) => n.toString(16).padStart(4, '0');
const usec = (t) => Math.round(t * 1e6) / 1e6;

function load(file, segment, stackBase) {
  const head = [];
  const body = [];
  let header = null;
  let maxStack = 0;
  let span = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    const r = JSON.parse(line);
    if (r.t === 'header') header = line;
    else if (r.t === 'device') head.push({ ...r, bdf: seg4(segment) + r.bdf.slice(4) });
    else if (r.t === 'stack') { maxStack = Math.max(maxStack, r.id); head.push({ ...r, id: r.id + stackBase }); }
    else if (BODY.has(r.t)) {
      if (r.t === 'access') {
        if (r.seg !== null) r.seg = segment;
        if (r.stack !== null) r.stack += stackBase;
      }
      if (typeof r.ts === 'number') span = Math.max(span, r.ts);
      body.push(r);
    }
  }
  return { header, head, body, maxStack, span: Math.ceil(span) + 1 };
}

/**
 * Writes the capture; returns how many accesses it holds. `rate` (accesses per second) re-times
 * the body evenly instead: access n at `leadIn + n / rate` seconds (the first at 0), so a replay at
 * recorded speed feeds exactly that rate after a pause of `leadIn` seconds (the serve bench).
 */
export function makeLargeCapture(want, out, sources = MIX_SOURCES, { rate = null, leadIn = 0 } = {}) {
  const loaded = [];
  let stackBase = 0;
  for (const [i, f] of sources.entries()) {
    const s = load(f, i, stackBase);
    stackBase += s.maxStack;
    loaded.push(s);
  }
  const fd = openSync(out, 'w');
  let buf = `${loaded[0].header}\n`;
  const put = (r) => {
    buf += `${JSON.stringify(r)}\n`;
    if (buf.length > 1 << 20) { writeSync(fd, buf); buf = ''; }
  };
  for (const s of loaded) for (const r of s.head) put(r);
  let n = 0;
  let base = 0;
  for (let round = 0; n < want; round++) {
    const s = loaded[round % loaded.length];
    for (const r of s.body) {
      if (r.t === 'access') { if (n >= want) break; n++; }
      if (rate !== null) put(typeof r.ts === 'number' ? { ...r, ts: n <= 1 ? 0 : usec(leadIn + (n - 1) / rate) } : r);
      else put(typeof r.ts === 'number' ? { ...r, ts: usec(r.ts + base) } : r);
    }
    base += s.span;
  }
  writeSync(fd, buf);
  closeSync(fd);
  return n;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [wantArg, out, ...sources] = process.argv.slice(2);
  if (!wantArg || !out) {
    console.error('usage: make-large-capture.mjs <accesses> <out> [source capture...]');
    process.exit(64);
  }
  const n = makeLargeCapture(Number(wantArg), out, sources.length > 0 ? sources : MIX_SOURCES);
  console.error(`${out}: ${n} accesses`);
}
