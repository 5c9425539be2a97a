// After run-live.sh: what the host client saw, and both guest captures checked on the host.
// Clocks: the guest stamps each line with its CLOCK_MONOTONIC (the clock of bpftrace's nsecs, so
// "kernel event -> line out of cfgscope" is measured on one clock); the guest->host hop is taken as
// half the round trip of pings on the same TCP link (host CLOCK_MONOTONIC). The two clocks are
// never compared with each other.
//   node live-report.mjs <out dir>
import { readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const dir = process.argv[2];
const repo = new URL('../../', import.meta.url).pathname;
const lines = readFileSync(`${dir}/client.log`, 'utf8').trimEnd().split('\n').filter(Boolean)
  .map((l) => { const [h, g, ...rest] = l.split(' '); return { host: BigInt(h), guest: BigInt(g), text: rest.join(' ') }; });
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN; };
const ms = (x) => x.toFixed(1);
const out = [];
const say = (t) => { out.push(t); console.log(t); };

// Pings sent before the guest listened wait in QEMU's user-net stack: only those after bpftrace attached count.
const attachedAt = lines.findIndex((l) => l.text.includes('bpftrace attached'));
const rtts = lines.filter((l, i) => i > attachedAt && l.text.startsWith('pong ')).map((l) => Number(l.host - BigInt(l.text.slice(5))) / 1e6);
const doneAt = lines.findIndex((l) => l.text === 'init probing done');
const viol = lines.map((l, i) => ({ ...l, i })).filter((l) => l.text.startsWith('VIOLATION '));
const inGuest = viol.map((v) => Number(v.guest) / 1e6 - Number(/ at t=(\d+\.\d+)/.exec(v.text)[1]) * 1e3);
const hop = pct(rtts, 0.5) / 2;
say(`host client: ${lines.length} lines; ${viol.length} violations, ${viol.filter((v) => doneAt !== -1 && v.i < doneAt).length} of them received before the guest said "probing done"`);
say(`kernel event -> out of cfgscope in the guest (guest CLOCK_MONOTONIC): median ${ms(pct(inGuest, 0.5))} ms, p90 ${ms(pct(inGuest, 0.9))} ms, max ${ms(Math.max(...inGuest))} ms (n=${inGuest.length})`);
say(`guest -> host hop: ping RTT median ${ms(pct(rtts, 0.5))} ms, max ${ms(Math.max(...rtts))} ms (n=${rtts.length}); end to end ~ median ${ms(pct(inGuest, 0.5) + hop)} ms, p90 ${ms(pct(inGuest, 0.9) + hop)} ms`);
for (const v of viol.slice(0, 3)) say(`  e.g. ${v.text.slice(0, 160)}`);

// The websocket client (capture --serve): receipt times on the host clock, like the relay client's.
try {
  const doneHost = doneAt === -1 ? null : lines[doneAt].host;
  const ws = readFileSync(`${dir}/ws.log`, 'utf8').trimEnd().split('\n').filter(Boolean)
    .map((l) => { const sp = l.indexOf(' '); return { host: BigInt(l.slice(0, sp)), m: JSON.parse(l.slice(sp + 1)) }; });
  const wsViol = ws.filter((x) => x.m.type === 'finding' && x.m.verdict === 'violation');
  const before = doneHost === null ? 0 : wsViol.filter((x) => x.host < doneHost).length;
  const seqs = ws.filter((x) => typeof x.m.seq === 'number' && !['hello', 'subscribed', 'caught-up', 'gap', 'heartbeat', 'pong'].includes(x.m.type)).map((x) => x.m.seq);
  const inOrder = seqs.every((s, i) => s === i + 1);
  // Same violation on both paths (matched by input line): websocket receipt minus relay receipt, both host clock.
  const relayAt = new Map(viol.map((v) => [/input line (\d+)/.exec(v.text)?.[1], v.host]));
  const d = wsViol.map((x) => relayAt.get(String(x.m.line))).map((h, i) => (h === undefined ? null : Number(wsViol[i].host - h) / 1e6)).filter((x) => x !== null);
  say(`websocket client (capture --serve, hostfwd): ${ws.length} messages, events seq 1..${seqs.length} ${inOrder ? 'complete and in order' : 'NOT contiguous'}; `
    + `${wsViol.length} violations, ${before} of them received before the guest said "probing done"; ${ws.filter((x) => x.m.type === 'gap').length} gaps`);
  if (d.length) say(`  websocket vs the stdout relay for the same violation (host clock): median ${ms(pct(d, 0.5))} ms, max ${ms(Math.max(...d))} ms`);
  const hello = ws.find((x) => x.m.type === 'hello');
  if (hello) say(`  hello: ${JSON.stringify(hello.m).slice(0, 200)}`);
} catch (e) { say(`no websocket log: ${e.message}`); }
try {
  const doneHost = doneAt === -1 ? null : lines[doneAt].host;
  const w = readFileSync(`${dir}/watch.log`, 'utf8').trimEnd().split('\n').filter(Boolean)
    .map((l) => { const sp = l.indexOf(' '); return { host: BigInt(l.slice(0, sp)), text: l.slice(sp + 1) }; });
  const wv = w.filter((x) => /^#\d+ violation /.test(x.text));
  say(`cfgscope watch (host, --violations-only): ${wv.length} violations, ${doneHost === null ? 0 : wv.filter((x) => x.host < doneHost).length} of them before "probing done"; last line: ${w.at(-1)?.text ?? '(none)'}`);
} catch (e) { say(`no watch log: ${e.message}`); }

// Throughput: the burst (`cat` of 0000:02:00.0's config space, 8 x 1024 dword reads through sysfs).
const recs = readFileSync(`${dir}/guest/live.ndjson`, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
const bootPartAccesses = (rs) => rs.slice(0, rs.findIndex((r) => r.t === 'phase' && r.label.startsWith('boot trace read'))).filter((r) => r.t === 'access').length;
const burst = recs.filter((r) => r.t === 'access' && r.comm === 'cat' && r.layer === 'user' && r.bus === 2 && r.devfn === 0);
const lost = recs.filter((r) => r.t === 'lost').reduce((a, r) => a + r.count, 0);
if (burst.length > 1) {
  // Per-CPU perf buffers: events arrive in per-CPU order, not in time order.
  const span = Math.max(...burst.map((r) => r.ts)) - Math.min(...burst.map((r) => r.ts));
  const counted = recs.filter((r) => r.t === 'source-count' && r.key.startsWith('@count[')).reduce((a, r) => a + r.count, 0);
  const printed = recs.filter((r) => r.t === 'access').length - bootPartAccesses(recs);
  say(`burst (8 x 1024 dword reads): ${burst.length} printed, their kernel timestamps spanning ${span.toFixed(3)} s (${Math.round(burst.length / span)} events/s); `
    + `whole capture: ${printed} bpftrace events printed + ${lost} reported lost vs ${counted} in @count`);
}
const bootPart = recs.slice(0, recs.findIndex((r) => r.t === 'phase' && r.label.startsWith('boot trace read')));
say(`boot trace read first: ${bootPart.filter((r) => r.t === 'access').length} accesses from the boot-time ftrace buffer (${bootPart.filter((r) => r.t === 'access' && !r.known).length} early writes seen by the function tracer without target)`);
for (const f of ['live', 'kill']) {
  const file = `${dir}/guest/${f}.ndjson`;
  const t = JSON.parse(readFileSync(file, 'utf8').trimEnd().split('\n').at(-1));
  const c = spawnSync(process.execPath, [`${repo}bin/cfgscope.js`, 'check', '--policy', 'luo-default', '--preserve', '0000:01:00.0', file], { encoding: 'utf8' });
  const summary = c.stdout.trimEnd().split('\n').filter((l) => /violations, \d+ expected/.test(l)).join(' ');
  say(`${f}.ndjson: ${t.t} complete=${t.complete}, ${t.counts.accesses} accesses, ${t.counts.lostEvents} lost; cfgscope check exit ${c.status}: ${summary}${c.stderr.includes('skipped') ? ' (SKIPPED lines!)' : ''}`);
}
try {
  const c = Object.fromEntries(readFileSync(`${dir}/guest/ceiling.txt`, 'utf8').trim().split('\n')
    .map((l) => /ceiling (\w+) events=(\d+) seconds=([\d.]+)/.exec(l)).map((m) => [m[1], { n: Number(m[2]), s: Number(m[3]) }]));
  // Wall time by /proc/uptime includes node's startup (13-37 s under TCG, varying): cfgscope's own
  // first-to-last-line timing is the number.
  const own = /bpftrace's output: .*/.exec(readFileSync(`${dir}/guest/ceiling.big.stderr`, 'utf8'));
  say(`cfgscope alone in the guest (${c.big.n} recorded events via --bpftrace cat, --preserve): ${own ? own[0] : '(no timing line)'}; with startup ${c.big.s} s`);
} catch (e) { say(`no ceiling measurement: ${e.message}`); }
try {
  const raw = readFileSync(`${dir}/guest/raw.relay`, 'utf8').trimEnd().split('\n').map((l) => /^(\d+) ev op=(\w) .* ns=(\d+) /.exec(l)).filter(Boolean)
    .map((m) => ({ op: m[2], ms: Number(BigInt(m[1]) - BigInt(m[3])) / 1e6 }));
  const w = raw.filter((r) => r.op === 'w').map((r) => r.ms);
  const all = raw.map((r) => r.ms);
  say(`bpftrace alone (its stdout stamped on arrival in the guest, same clock): writes median ${ms(pct(w, 0.5))} ms, p90 ${ms(pct(w, 0.9))} ms (n=${w.length}); `
    + `all events median ${ms(pct(all, 0.5))} ms, p90 ${ms(pct(all, 0.9))} ms (n=${all.length})`);
} catch (e) { say(`no bpftrace-alone measurement: ${e.message}`); }
writeFileSync(`${dir}/report.txt`, `${out.join('\n')}\n`);
