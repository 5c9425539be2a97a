// After run-live.sh: what the host clients saw, and both guest captures checked on the host. A real
// check: exits 1, naming each failure, when a host client (the websocket client, `cfgscope watch`,
// headless Chromium on the served page) received no violation before the guest said "probing done",
// when the page's violation rows are not the websocket client's violations, when the websocket
// client's seq stream has holes or no end, or when either capture is not read whole by
// `cfgscope check` (exit 0 or 1, a trailer, nothing skipped; the killed one complete:false).
// Clocks: the guest stamps each line with its CLOCK_MONOTONIC (the clock of bpftrace's nsecs, so
// "kernel event -> line out of cfgscope" is measured on one clock); every host client stamps what it
// receives with the host's CLOCK_MONOTONIC, so "relay's arrival of a line -> websocket message or
// browser row" and "before probing done" are on one clock too. The two clocks are never compared
// with each other: kernel event -> browser row is stated as the sum of one guest-clock and one
// host-clock component.
//   node live-report.mjs <out dir>
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const dir = process.argv[2];
const repo = new URL('../../', import.meta.url).pathname;
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN; };
const ms = (x) => x.toFixed(1);
const out = [];
const failures = [];
const say = (t) => { out.push(t); console.log(t); };
const fail = (t) => { failures.push(t); say(`FAIL: ${t}`); };
/** `<host ns> <rest>` lines of a host client's log; [] (and a failure) when the log is missing. */
const stamped = (name) => {
  if (!existsSync(`${dir}/${name}`)) { fail(`${name} is missing: that host client did not run`); return []; }
  return readFileSync(`${dir}/${name}`, 'utf8').split('\n').filter(Boolean)
    .map((l) => { const sp = l.indexOf(' '); return { host: BigInt(l.slice(0, sp)), text: l.slice(sp + 1) }; });
};
const stats = (xs) => `median ${ms(pct(xs, 0.5))} ms, p90 ${ms(pct(xs, 0.9))} ms, max ${ms(Math.max(...xs))} ms (n=${xs.length})`;

const lines = stamped('client.log').map((l) => { const sp = l.text.indexOf(' '); return { host: l.host, guest: BigInt(l.text.slice(0, sp)), text: l.text.slice(sp + 1) }; });
// Pings sent before the guest listened wait in QEMU's user-net stack: only those after bpftrace attached count.
const attachedAt = lines.findIndex((l) => l.text.includes('bpftrace attached'));
const rtts = lines.filter((l, i) => i > attachedAt && l.text.startsWith('pong ')).map((l) => Number(l.host - BigInt(l.text.slice(5))) / 1e6);
const doneAt = lines.findIndex((l) => l.text === 'init probing done');
// The relay's host-side arrival of the guest's "probing done" line: the host clock's deadline.
const doneHost = doneAt === -1 ? null : lines[doneAt].host;
if (doneHost === null) fail('the relay never delivered the guest\'s "probing done" line (client.log)');
const before = (xs) => (doneHost === null ? 0 : xs.filter((x) => x.host < doneHost).length);
const viol = lines.map((l, i) => ({ ...l, i })).filter((l) => l.text.startsWith('VIOLATION '));
const inGuestOf = (v) => Number(v.guest) / 1e6 - Number(/ at t=(\d+\.\d+)/.exec(v.text)[1]) * 1e3;
const inGuest = viol.map(inGuestOf);
const hop = pct(rtts, 0.5) / 2;
say(`relay client (cfgscope's stdout): ${lines.length} lines; ${viol.length} violations, ${before(viol)} of them received before the guest said "probing done"`);
say(`kernel event -> out of cfgscope in the guest (guest CLOCK_MONOTONIC): ${stats(inGuest)}`);
say(`guest -> host hop: ping RTT median ${ms(pct(rtts, 0.5))} ms, max ${ms(Math.max(...rtts))} ms (n=${rtts.length}); end to end ~ median ${ms(pct(inGuest, 0.5) + hop)} ms, p90 ${ms(pct(inGuest, 0.9) + hop)} ms`);
for (const v of viol.slice(0, 3)) say(`  e.g. ${v.text.slice(0, 160)}`);
// The relay's copy of each violation, by the capture's input line (what websocket findings carry).
const relayByLine = new Map(viol.map((v) => [/input line (\d+)/.exec(v.text)?.[1], v]));

// The websocket client (capture --listen): receipt times on the host clock, like the relay client's.
const ws = stamped('ws.log').map((x) => ({ host: x.host, m: JSON.parse(x.text) }));
const control = ['hello', 'subscribed', 'caught-up', 'gap', 'heartbeat', 'pong'];
const isViolation = (m) => (m.type === 'finding' || m.type === 'target') && m.verdict === 'violation';
const wsViol = ws.filter((x) => isViolation(x.m));
const seqs = ws.filter((x) => typeof x.m.seq === 'number' && !control.includes(x.m.type)).map((x) => x.m.seq);
const holeAt = seqs.findIndex((s, i) => s !== i + 1);
const gaps = ws.filter((x) => x.m.type === 'gap');
say(`websocket client (capture --listen, hostfwd): ${ws.length} messages, events seq 1..${seqs.length} ${holeAt === -1 ? 'complete and in order' : 'NOT contiguous'}; `
  + `${wsViol.length} violations, ${before(wsViol)} of them received before the guest said "probing done"; ${gaps.length} gaps`);
if (holeAt !== -1) fail(`the websocket client's seq stream has a hole: message ${holeAt + 1} has seq ${seqs[holeAt]}, ${holeAt + 1} expected`);
if (gaps.length) fail(`the websocket client was told of ${gaps.length} gap(s): ${JSON.stringify(gaps[0].m)}`);
if (!ws.some((x) => x.m.type === 'end')) fail('the websocket client never received the stream\'s end');
if (before(wsViol) === 0) fail('the websocket client received no violation before the guest said "probing done"');
const wsBySeq = new Map(ws.filter((x) => typeof x.m.seq === 'number' && !control.includes(x.m.type)).map((x) => [x.m.seq, x]));
// Same violation on both paths (matched by input line): websocket receipt minus relay receipt, both host clock.
const d = wsViol.map((x) => relayByLine.get(String(x.m.line))).map((v, i) => (v === undefined ? null : Number(wsViol[i].host - v.host) / 1e6)).filter((x) => x !== null);
if (d.length) say(`  websocket vs the stdout relay for the same violation (host clock): median ${ms(pct(d, 0.5))} ms, max ${ms(Math.max(...d))} ms`);
const hello = ws.find((x) => x.m.type === 'hello');
if (hello) say(`  hello: ${JSON.stringify(hello.m).slice(0, 200)}`);

// cfgscope watch: its output lines, stamped on arrival.
const w = stamped('watch.log');
const wv = w.filter((x) => /^#\d+ violation /.test(x.text));
say(`cfgscope watch (host, --violations-only): ${wv.length} violations, ${before(wv)} of them before "probing done"; last line: ${w.at(-1)?.text ?? '(none)'}`);
if (before(wv) === 0) fail('cfgscope watch received no violation before the guest said "probing done"');

// Headless Chromium on the served page: each findings row as the page inserted it.
const b = stamped('browser.log');
const rows = b.filter((x) => x.text.startsWith('{')).map((x) => ({ host: x.host, ...JSON.parse(x.text) }));
const bv = rows.filter((r) => r.verdict === 'violation');
say(`browser (headless Chromium, the served page): ${rows.length} findings rows, ${bv.length} violation rows, ${before(bv)} of them before "probing done"; `
  + `${b.some((x) => x.text.startsWith('# end')) ? 'the page reached the stream\'s end' : 'the page did NOT reach the stream\'s end'}`);
for (const e of b.filter((x) => x.text.startsWith('# pageerror')).slice(0, 3)) fail(`page error: ${e.text.slice(12)}`);
if (before(bv) === 0) {
  const err = existsSync(`${dir}/browser.stderr`) ? readFileSync(`${dir}/browser.stderr`, 'utf8').trim().split('\n').at(-1) : '';
  fail(`the browser showed no violation row before the guest said "probing done"${err ? ` (its stderr: ${err})` : ''}`);
}
// The page's violation rows against the websocket client's violations: the same seqs, device and register.
const key = (seq, bdf, reg) => `#${seq} ${bdf} ${reg}`;
const wsKeys = new Set(wsViol.map((x) => key(x.m.seq, x.m.bdf ?? x.m.device?.bdf ?? '', x.m.register ?? '')));
const bKeys = new Set(bv.map((r) => key(r.seq, r.bdf, r.register === '?' ? '' : r.register)));
const onlyWs = [...wsKeys].filter((k) => !bKeys.has(k));
const onlyB = [...bKeys].filter((k) => !wsKeys.has(k));
if (onlyWs.length || onlyB.length || bKeys.size !== bv.length) {
  fail(`the browser's violation rows differ from the websocket client's violations: ${onlyWs.length} only over the websocket (${onlyWs.slice(0, 3).join('; ')}), `
    + `${onlyB.length} only in the page (${onlyB.slice(0, 3).join('; ')}), ${bv.length - bKeys.size} duplicate rows`);
} else say(`  the page's ${bv.length} violation rows are the websocket client's ${wsViol.length} violations (seq, device, register)`);
// Kernel event -> browser row, per clock: guest side (kernel ts -> relay stamp of cfgscope's line,
// guest clock) + host side (relay's arrival of that line on the host -> row inserted, host clock).
const parts = bv.map((r) => ({ r, v: relayByLine.get(String(wsBySeq.get(r.seq)?.m.line)) })).filter((x) => x.v !== undefined)
  .map(({ r, v }) => ({ guest: inGuestOf(v), host: Number(r.host - v.host) / 1e6 }));
if (parts.length) {
  say(`  kernel event -> browser row, per clock (n=${parts.length} violations matched to the relay by input line):`);
  say(`    guest side, kernel ts -> out of cfgscope (guest CLOCK_MONOTONIC): ${stats(parts.map((p) => p.guest))}`);
  say(`    host side, relay's arrival of that line -> page row (host CLOCK_MONOTONIC): ${stats(parts.map((p) => p.host))}`);
  say(`    sum per violation: ${stats(parts.map((p) => p.guest + p.host))}`);
} else if (bv.length) fail('no browser violation row could be matched to the relay\'s copy of its line');

// Throughput: the burst (`cat` of 0000:02:00.0's config space, 8 x 1024 dword reads through sysfs).
// (A missing or torn capture is failed by the check below; here it only means no numbers.)
const recs = existsSync(`${dir}/guest/live.ndjson`) ? readFileSync(`${dir}/guest/live.ndjson`, 'utf8').trimEnd().split('\n')
  .flatMap((l) => { try { return [JSON.parse(l)]; } catch { return []; } }) : [];
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
  if (!existsSync(file)) { fail(`${f}.ndjson: the guest wrote no capture`); continue; }
  const last = readFileSync(file, 'utf8').trimEnd().split('\n').at(-1);
  let t = null;
  try { t = JSON.parse(last); } catch { /* a torn last line: no trailer */ }
  const c = spawnSync(process.execPath, [`${repo}bin/cfgscope.js`, 'check', '--policy', 'luo-default', '--preserve', '0000:01:00.0', file], { encoding: 'utf8' });
  const summary = c.stdout.trimEnd().split('\n').filter((l) => /violations, \d+ expected/.test(l)).join(' ');
  const skipped = c.stderr.includes('skipped');
  say(`${f}.ndjson: ${t?.t === 'trailer' ? `trailer complete=${t.complete}, ${t.counts.accesses} accesses, ${t.counts.lostEvents} lost` : 'NO trailer'}; `
    + `cfgscope check exit ${c.status}: ${summary}${skipped ? ' (SKIPPED lines!)' : ''}`);
  if (t?.t !== 'trailer') fail(`${f}.ndjson ends without a trailer: ${last.slice(0, 120)}`);
  if (c.status !== 0 && c.status !== 1) fail(`cfgscope check ${f}.ndjson exited ${c.status} (0 or 1 expected): ${c.stderr.trim().split('\n').at(-1)}`);
  if (skipped) fail(`cfgscope check skipped lines of ${f}.ndjson: ${c.stderr.trim().split('\n').find((l) => l.includes('skipped'))}`);
  if (f === 'kill' && t?.t === 'trailer' && t.complete !== false) fail('kill.ndjson: bpftrace was killed, yet its trailer says complete:true');
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
if (failures.length) say(`LIVE LAB FAILED (${failures.length}):\n${failures.map((f) => `  - ${f}`).join('\n')}`);
else say('live lab: every check passed');
writeFileSync(`${dir}/report.txt`, `${out.join('\n')}\n`);
process.exitCode = failures.length ? 1 : 0;
