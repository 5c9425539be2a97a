// The serve benchmark: `cfgscope serve` replays a capture re-timed to a fixed rate of accesses
// (100k or 500k per second, after a pause in which the clients connect) to 1 or 50 websocket
// clients, which subscribe to everything from seq 1. Per run: the accesses each client received
// per second of the live part, how many it was told it missed (`gap`), and the latency of its
// live accesses: arrival time minus the time the replay was due to release them (server start,
// seen on its "listening" line, plus ts / speed). The server's replay clock starts about when it
// prints that line (its first access is due when the replay starts) and this process reads the
// line a few ms later, so latencies are low by those few ms (the 1k/s row's p50: -3 to -5 ms).
// Clients run in this process: on a 2-core machine the server has one core, the clients the other.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { makeLargeCapture } from './make-large-capture.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'bin/cfgscope.js');
const LEAD_IN = 2; // seconds before the paced part: time for 50 clients to connect
const SAMPLE_EVERY = 16; // latency of every 16th live access per client (parsing each costs the client)

const round1 = (v) => (v === null ? null : Math.round(v * 10) / 10);
const percentile = (xs, p) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

/**
 * CPU seconds (user + system) a running process has used, from /proc/<pid>/stat (utime, stime;
 * USER_HZ 100); null where there is no /proc. On a shared machine the server may wait for a core,
 * so its CPU time per delivered access says more about its own cost than the wall-clock rate.
 */
function cpuSecondsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return null;
  }
}

function startServer(capture, policyArgs, cli) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(process.env.CFGSCOPE_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []), cli, 'serve', capture, ...policyArgs, '--listen', '127.0.0.1:0', '--speed', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => {
      err += d;
      const m = /listening on (http:\/\/\S+?)\/? /.exec(err);
      if (/ replayed, \d+ events/.test(err)) child.replayed = true;
      if (m && !child.url) {
        child.url = m[1];
        child.startedAt = Date.now();
        resolve(child);
      }
    });
    child.on('exit', (code) => { if (!child.url) reject(new Error(`serve exited ${code}: ${err}`)); });
  });
}

function client(url, startedAt, stoppers) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`);
    const st = { lastMessage: Date.now(), accesses: 0, live: 0, firstLive: null, lastLive: null, missed: 0, latencies: [], ended: false };
    ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', from: 1 })));
    ws.on('message', (data) => {
      const b = data;
      st.lastMessage = Date.now();
      // Cheap type test on the raw frame: every message starts with {"type":"<kind>".
      if (b[9] === 0x61 && b.toString('latin1', 9, 16) === 'access"') {
        st.accesses++;
        const now = Date.now();
        // Sampled: parse the frame for its ts.
        if (st.accesses % SAMPLE_EVERY === 0) {
          const text = b.toString('utf8');
          const at = text.indexOf('"ts":');
          const ts = Number(text.slice(at + 5, text.indexOf(',', at)));
          if (ts >= LEAD_IN) st.latencies.push(now - (startedAt + ts * 1000));
        }
        if (now - startedAt >= LEAD_IN * 1000) {
          st.live++;
          st.firstLive ??= now;
          st.lastLive = now;
        }
        return;
      }
      const text = b.toString('utf8');
      if (text.startsWith('{"type":"gap"')) st.missed += JSON.parse(text).count;
      else if (text.startsWith('{"type":"end"')) {
        st.ended = true;
        ws.close();
      }
    });
    ws.on('close', () => resolve(st));
    ws.on('error', () => resolve(st));
    stoppers.push({ st, stop: () => ws.terminate() });
  });
}

/** One configuration: `rate` accesses/s for `seconds`, to `clients` clients; `cli`: another
 *  tree's bin/cfgscope.js (same-inputs.mjs). */
export async function serveRun({ dir, rate, seconds, clients, policyArgs, cli = CLI }) {
  const capture = join(dir, `serve-${rate}.capture.ndjson`);
  const accesses = Math.round(rate * seconds) + 1;
  makeLargeCapture(accesses, capture, undefined, { rate, leadIn: LEAD_IN });
  const server = await startServer(capture, policyArgs, cli);
  const stoppers = [];
  const done = Promise.all(Array.from({ length: clients }, () => client(server.url, server.startedAt, stoppers)));
  // A client whose `end` was dropped in a gap is closed once the replay is over and it has had
  // nothing for a second; one the server never catches up with is cut off 20 s after the feed
  // ends (its counts so far still count, and clientsEnded says it was cut off).
  const deadline = Date.now() + (LEAD_IN + seconds + 20) * 1000;
  const timeout = setInterval(() => {
    for (const { st, stop } of stoppers) if (Date.now() > deadline || (server.replayed && Date.now() - st.lastMessage > 1000)) stop();
  }, 250);
  const results = await done;
  clearInterval(timeout);
  const serverCpuS = cpuSecondsOf(server.pid);
  server.kill('SIGINT');
  await new Promise((r) => server.once('exit', r));
  const lat = results.flatMap((r) => r.latencies);
  const rates = results.map((r) => (r.lastLive > r.firstLive ? r.live / ((r.lastLive - r.firstLive) / 1000) : 0));
  return {
    feedPerS: rate, clients, accesses, seconds,
    deliveredPerClientPerS: Math.round(rates.reduce((a, b) => a + b, 0) / rates.length),
    deliveredTotalPerS: Math.round(rates.reduce((a, b) => a + b, 0)),
    receivedAccesses: results.reduce((a, r) => a + r.accesses, 0),
    missedEvents: results.reduce((a, r) => a + r.missed, 0),
    clientsEnded: results.filter((r) => r.ended).length,
    latencyMs: { p50: round1(percentile(lat, 50)), p99: round1(percentile(lat, 99)), samples: lat.length },
    // The whole run (start-up, lead-in, replay, end).
    serverCpuS: serverCpuS === null ? null : Math.round(serverCpuS * 100) / 100,
    receivedPerServerCpuS: serverCpuS ? Math.round(results.reduce((a, r) => a + r.accesses, 0) / serverCpuS) : null,
  };
}

/**
 * The rows `npm run bench` measures, plus a low rate (1k accesses/s to one client: latency must stay
 * that of an idle server, whatever the batching does at high rates). `seconds` per rate.
 */
export const SERVE_ROWS = (quick) => [
  { rate: 1_000, clients: 1, seconds: quick ? 2 : 5 },
  ...[100_000, 500_000].flatMap((rate) => [1, 50].map((clients) => ({ rate, clients, seconds: quick ? 0.5 : rate > 100_000 ? 1 : 2 }))),
];

export const describeServeRun = (r) => `serve ${r.feedPerS}/s to ${r.clients}: ${r.deliveredPerClientPerS}/s per client (${r.deliveredTotalPerS}/s in all), `
  + `${r.missedEvents} missed, ${r.clientsEnded}/${r.clients} saw the end, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms; `
  + `server ${r.serverCpuS} cpu-s (${r.receivedPerServerCpuS} accesses received per server cpu-s)`;

/**
 * Run directly (`node test/bench/serve-bench.mjs [--quick] [--runs N]`, after `npm run build`): the
 * serve rows alone, printed (results-latest.json is `npm run bench`'s to write), then the live path's
 * stdout-vs-websocket latency (live-serve-latency.mjs). `--runs N` repeats each row and prints all.
 */
async function main() {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir, loadavg } = await import('node:os');
  const { MIX_SOURCES } = await import('./make-large-capture.mjs');
  const { liveLatencyRun, describeLiveRun } = await import('./live-serve-latency.mjs');
  const quick = process.argv.includes('--quick');
  const at = process.argv.indexOf('--runs');
  const runs = at > 0 ? Number(process.argv[at + 1]) : 1;
  const policyArgs = ['--policy', 'luo-default', ...MIX_SOURCES.flatMap((_, i) => ['--preserve', `000${i}:02:00.0`])];
  const dir = mkdtempSync(join(tmpdir(), 'cfgscope-serve-bench-'));
  const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
  try {
    console.log(`serve bench: load average ${load()} (before)`);
    for (const row of SERVE_ROWS(quick)) {
      for (let i = 0; i < runs; i++) console.log(describeServeRun(await serveRun({ dir, ...row, policyArgs })));
    }
    for (let i = 0; i < runs; i++) console.log(describeLiveRun(await liveLatencyRun({ pace: 10 })));
    console.log(`load average ${load()} (after)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
