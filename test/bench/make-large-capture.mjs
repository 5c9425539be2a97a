#!/usr/bin/env node
// Makes a large capture from a real one by repeating its access records with shifted timestamps,
// for memory and speed measurements (streaming must stay flat however long the trace).
// Usage: node test/bench/make-large-capture.mjs <capture> <accesses> <out>
import { createReadStream, openSync, writeSync, closeSync } from 'node:fs';
import { createInterface } from 'node:readline';

const [src, wantArg, out] = process.argv.slice(2);
if (!src || !wantArg || !out) {
  console.error('usage: make-large-capture.mjs <capture> <accesses> <out>');
  process.exit(64);
}
const want = Number(wantArg);
const head = [];
const body = [];
for await (const line of createInterface({ input: createReadStream(src) })) {
  const t = line.slice(6, line.indexOf('"', 6));
  if (t === 'trailer') continue;
  if (t === 'access' || t === 'phase' || t === 'nested') body.push(JSON.parse(line));
  else head.push(line);
}
const span = Math.max(...body.map((r) => r.ts ?? 0)) + 1;
const fd = openSync(out, 'w');
for (const l of head) writeSync(fd, `${l}\n`);
let n = 0;
let buf = '';
for (let round = 0; n < want; round++) {
  for (const r of body) {
    if (r.t === 'access') { if (n >= want) break; n++; }
    buf += `${JSON.stringify({ ...r, ts: r.ts === null ? null : r.ts + round * span })}\n`;
    if (buf.length > 1 << 20) { writeSync(fd, buf); buf = ''; }
  }
}
writeSync(fd, buf);
closeSync(fd);
console.error(`${out}: ${n} accesses`);
