// The live path's latency (what the QEMU lab's "websocket vs the stdout relay" row measures, on
// this machine): `cfgscope capture --listen` fed by paced-bpftrace.mjs (the lab's recorded probe
// output, one event block at a time, PACED_MS apart), its stdout and a websocket client read by
// this process, both stamped on arrival with one clock. Per violation (matched by input line):
// websocket message minus stdout line. A server that holds a message until a timer or the next
// input shows here as a delay of about the pace or more; the lab's main saw -1.4 ms median.
//   node test/bench/live-serve-latency.mjs [--pace ms] [--blocks N]     (after `npm run build`)
// `--blocks N`: N event blocks per write of the stand-in (a burst read as one chunk).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'bin/cfgscope.js');
const RECORDED = join(ROOT, 'test/fixtures/bpftrace/probe-phases.txt');
const PACED = join(ROOT, 'test/bench/paced-bpftrace.mjs');

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const ms = (v) => Math.round(v * 10) / 10;

/** One run at `pace` ms between event blocks: per-violation delays (ms), websocket minus stdout. */
export async function liveLatencyRun({ pace = 20, blocks = 1 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'cfgscope-live-lat-'));
  try {
    const child = spawn(process.execPath, [CLI, 'capture', '-o', join(dir, 'live.ndjson'), '--preserve', '0000:01:00.0',
      '--listen', '127.0.0.1:0', '--no-preflight', '--no-boot-trace', '--bpftrace', PACED, '--probe', RECORDED],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PACED_MS: String(pace), PACED_BLOCKS: String(blocks) } });
    const stdoutAt = new Map();
    const wsAt = new Map();
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => {
      const at = performance.now();
      out += d;
      let nl;
      while ((nl = out.indexOf('\n')) !== -1) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        const m = /^VIOLATION .*input line (\d+)\)/.exec(line);
        if (m) stdoutAt.set(m[1], at);
      }
    });
    let err = '';
    const url = await new Promise((resolve, reject) => {
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (d) => {
        err += d;
        const m = /serving on (http:\/\/\S+?)\/? /.exec(err);
        if (m) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`capture exited ${code}: ${err}`)));
    });
    let events = 0;
    const ended = new Promise((resolve) => {
      const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`);
      ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', from: 1 })));
      ws.on('message', (data) => {
        const at = performance.now();
        const m = JSON.parse(data.toString());
        if (typeof m.seq === 'number' && m.type !== 'heartbeat') events++;
        if (m.type === 'finding' && m.verdict === 'violation') wsAt.set(String(m.line), at);
        if (m.type === 'end' || m.type === 'error') { ws.close(); resolve(); }
      });
      ws.on('close', resolve);
      ws.on('error', resolve);
    });
    // The stand-in says on stderr when it has written everything (then waits for SIGINT, as
    // bpftrace does); a second more for the last events to pass.
    while (child.exitCode === null && !/paced-bpftrace: \d+ blocks written/.test(err)) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1000));
    if (child.exitCode !== null) throw new Error(`capture exited ${child.exitCode} before the end: ${err}`);
    child.kill('SIGINT');
    await ended;
    await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
    const d = [...stdoutAt].filter(([line]) => wsAt.has(line)).map(([line, at]) => wsAt.get(line) - at);
    return { pace, blocks, violations: stdoutAt.size, matched: d.length, events, medianMs: ms(pct(d, 0.5)), p90Ms: ms(pct(d, 0.9)), maxMs: ms(Math.max(...d)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const describeLiveRun = (r) => `live capture --listen, ${r.blocks === 1 ? 'one event block' : `${r.blocks} event blocks in one write`} every ${r.pace} ms: ${r.violations} violations on stdout, `
  + `${r.matched} on the websocket (${r.events} events); websocket minus stdout: median ${r.medianMs} ms, p90 ${r.p90Ms} ms, max ${r.maxMs} ms`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, d) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : d; };
  console.log(describeLiveRun(await liveLatencyRun({ pace: arg('--pace', 20), blocks: arg('--blocks', 1) })));
}
