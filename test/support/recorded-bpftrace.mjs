#!/usr/bin/env node
// Stands in for bpftrace on hosts without kprobes by replaying what a real bpftrace printed
// (test/fixtures/bpftrace/*): `recorded-bpftrace.mjs <recorded output> [probe args...]`.
// It behaves like bpftrace towards its reader: the output up to the END banner is written as it
// "happens" (in chunks, a few ms apart), then it waits; SIGINT makes it print the END banner and the
// maps and exit 0, as bpftrace does. RECORDED_DIE_AFTER=N: print N lines, then die by SIGKILL
// (a tracer that crashes mid-capture). RECORDED_IGNORE_SIGINT=1: SIGINT does nothing (a tracer stuck
// on exit, as bpftrace 0.17 was once seen in the lab). `--version` answers like bpftrace 0.17.
import { readFileSync } from 'node:fs';

if (process.argv[2] === '--version') { process.stdout.write('bpftrace v0.17.0\n'); process.exit(0); }
const lines = readFileSync(process.argv[2], 'utf8').split('\n');
if (lines.at(-1) === '') lines.pop();
const endAt = lines.findIndex((l) => /cfgscope-bpftrace v\d+ end|"cfgscope-bpftrace v\d+ end/.test(l));
const head = lines.slice(0, endAt === -1 ? lines.length : endAt);
const tail = endAt === -1 ? [] : lines.slice(endAt);
const dieAfter = process.env.RECORDED_DIE_AFTER ? Number(process.env.RECORDED_DIE_AFTER) : null;
const CHUNK = 200;

let i = 0;
let stopping = false;
const write = (ls) => new Promise((r) => { if (ls.length === 0) r(); else process.stdout.write(`${ls.join('\n')}\n`, r); });
process.on('SIGINT', () => { if (!process.env.RECORDED_IGNORE_SIGINT) stopping = true; });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

while (i < head.length) {
  const n = dieAfter !== null ? Math.min(CHUNK, dieAfter - i) : CHUNK;
  await write(head.slice(i, i + n));
  i += n;
  if (dieAfter !== null && i >= dieAfter) process.kill(process.pid, 'SIGKILL');
  if (stopping) break; // bpftrace stops emitting events on SIGINT, whatever is still buffered is dropped
  await sleep(5);
}
while (!stopping) await sleep(20);
await write(tail);
process.exit(0);
