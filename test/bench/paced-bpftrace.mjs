#!/usr/bin/env node
// Stands in for bpftrace for the live-latency bench: replays a recorded probe output
// (test/fixtures/bpftrace/probe-phases.txt) `PACED_BLOCKS` event blocks at a time (default 1),
// `PACED_MS` apart (default 20), after `PACED_LEAD_MS` (default 1000: time for the websocket
// client to subscribe): the way a real bpftrace prints sparse events (each block in one write,
// then silence), or a burst (many blocks in one write: cfgscope reads them as one chunk). Waits for SIGINT after
// the last block, then prints the END banner and the maps and exits 0, as bpftrace does.
//   paced-bpftrace.mjs <recorded output> [probe args...]   (`--version` answers like bpftrace 0.17)
import { readFileSync } from 'node:fs';

if (process.argv[2] === '--version') { process.stdout.write('bpftrace v0.17.0\n'); process.exit(0); }
const pace = Number(process.env.PACED_MS ?? 20);
const lead = Number(process.env.PACED_LEAD_MS ?? 1000);
const per = Number(process.env.PACED_BLOCKS ?? 1);
const text = readFileSync(process.argv[2], 'utf8');
const endAt = text.search(/^cfgscope-bpftrace v\d+ end/m);
const head = endAt === -1 ? text : text.slice(0, endAt);
const tail = endAt === -1 ? '' : text.slice(endAt);
// Blocks: the banner lines, then every event with its stack (ends at a blank line).
const blocks = head.split(/(?<=\n\n)/);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const write = (s) => new Promise((r) => process.stdout.write(s, r));
let stopping = false;
process.on('SIGINT', () => { stopping = true; });

await write(blocks.shift() ?? '');
await sleep(lead);
for (let i = 0; i < blocks.length && !stopping; i += per) {
  await write(blocks.slice(i, i + per).join(''));
  await sleep(pace);
}
// Said on stderr (cfgscope forwards it as `bpftrace: ...`): the reader knows the input is over.
process.stderr.write(`paced-bpftrace: ${blocks.length} blocks written\n`);
while (!stopping) await sleep(20);
await write(tail);
process.exit(0);
