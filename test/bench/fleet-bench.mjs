#!/usr/bin/env node
// The fleet row of the bench: the lab captures in replays/ re-addressed as N machines (100 by
// default; machine i is capture i mod 7, its findings those `check --json` gives), published
// concurrently through cfgscope's own publisher (spool file + JetStream acks, one NATS connection
// per machine, in this process: what is measured is the publish path, not N node start-ups) to
// real nats-server processes on loopback: one node, and a 3-node cluster with the stream at R1 and
// at R3. Then the end-to-end delay from a machine publishing a finding to a durable consumer
// (fleet's read path) seeing it, and `cfgscope fleet` over the whole stream: answer time and peak
// memory. Not a test: it prints and writes numbers, nothing passes or fails on them.
// `node test/bench/fleet-bench.mjs [--machines 100] [--concurrency 25] [--json out.json]` after
// `npm run build`.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCluster, startSingle } from '../support/nats-servers.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'bin/cfgscope.js');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const MACHINES = Number(arg('--machines', '100'));
const CONCURRENCY = Number(arg('--concurrency', '25'));
const OUT = arg('--json', null);
const log = (m) => process.stderr.write(`${m}\n`);

const { connectFleet, DEFAULT_LIMITS, streamConfig } = await import(join(ROOT, 'dist/fleet/fleet-connection.js'));
const { natsTarget } = await import(join(ROOT, 'dist/fleet/nats-target.js'));
const { SpoolFile } = await import(join(ROOT, 'dist/fleet/spool-file.js'));
const { FleetPublisher } = await import(join(ROOT, 'dist/sinks/fleet-publisher.js'));
const { STREAM_NAME, FINDINGS_FILTER } = await import(join(ROOT, 'dist/fleet/fleet-subjects.js'));

const CAPTURES = [
  'replays/lab-e1000e-off/kernel.capture.ndjson', 'replays/lab-e1000e-on/kernel.capture.ndjson',
  'replays/lab-kexec/kernel.capture.ndjson', 'replays/lab-resets/kernel.capture.ndjson',
  'replays/lab-sriov/kernel.capture.ndjson', 'replays/qemu-6.1-q35-basic/kernel.capture.ndjson',
  'replays/qemu-6.1-bpftrace/probe-phases.capture.ndjson',
];
const CHECK = ['--policy', 'luo-default', '--preserve', '0000:01:00.0', '--preserve', '0000:02:00.0'];

/** Per capture: its records, accesses, and check's findings as the pipeline's events. */
function loadInputs() {
  return CAPTURES.map((c) => {
    const records = readFileSync(join(ROOT, c), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const out = spawnSync(process.execPath, [CLI, 'check', '--json', ...CHECK, c], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28 }).stdout;
    const findings = out.split('\n').filter(Boolean).map((l) => JSON.parse(l))
      .filter((f) => f.type === 'finding' || f.type === 'target' || f.type === 'unattributed').map((f) => ({ ...f, kind: f.type }));
    return { capture: c, records, findings, accesses: records.filter((r) => r.t === 'access').length, violations: findings.filter((f) => f.verdict === 'violation').length };
  });
}

async function createStream(urls, replicas) {
  const cfg = await streamConfig({ ...DEFAULT_LIMITS, replicas });
  for (let t0 = Date.now(); ; ) {
    let c = null;
    try {
      c = await connectFleet(natsTarget(urls, 'bench'), 5000, 'bench admin');
      await c.jsm.streams.add(cfg);
      return c;
    } catch (e) {
      await c?.nc.close();
      if (Date.now() - t0 > 60_000) throw e; // the cluster's meta leader takes seconds to be elected
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

async function publishFleet(urls, inputs, spoolDir, replicas) {
  const target = natsTarget(urls, 'bench');
  const queue = Array.from({ length: MACHINES }, (_, i) => i);
  let accesses = 0;
  let messages = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, MACHINES) }, async () => {
    for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
      const input = inputs[i % inputs.length];
      const spool = new SpoolFile(join(spoolDir, `m${i}.spool`), 512 * 1024 * 1024);
      const p = new FleetPublisher(spool, { target, machine: `m${String(i).padStart(5, '0')}`, run: 'bench', limits: { ...DEFAULT_LIMITS, replicas }, waitMs: 60_000 });
      for (const r of input.records) {
        p.record(r);
        // Findings interleave as check makes them; their position does not change what is sent.
        if (r.t === 'trailer') for (const f of input.findings) p.finding(f);
      }
      const o = await p.finish();
      if (o.pendingBytes > 0) throw new Error(`machine ${i}: ${o.pendingBytes} bytes left in the spool (${o.lastError})`);
      accesses += input.accesses;
      messages += o.sent;
    }
  }));
  const s = (performance.now() - t0) / 1000;
  return { seconds: +s.toFixed(2), accesses, messages, accessesPerS: Math.round(accesses / s), messagesPerS: Math.round(messages / s) };
}

/** Publish -> a durable consumer on the findings subject sees it, `samples` times. */
async function endToEnd(urls, spoolDir, samples = 20) {
  const { AckPolicy, DeliverPolicy } = await import('@nats-io/jetstream');
  const c = await connectFleet(natsTarget(urls, 'bench'), 5000, 'bench e2e');
  await c.jsm.consumers.add(STREAM_NAME, { durable_name: 'bench-e2e', ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.New, filter_subject: FINDINGS_FILTER });
  const consumer = await c.js.consumers.get(STREAM_NAME, 'bench-e2e');
  const seen = new Map();
  const messages = await consumer.consume({ max_messages: 100 });
  void (async () => { for await (const m of messages) { const env = m.json(); seen.get(env.machine)?.(); } })();
  const delays = [];
  const target = natsTarget(urls, 'bench');
  for (let k = 0; k < samples; k++) {
    const machine = `e2e${k}`;
    const p = new FleetPublisher(new SpoolFile(join(spoolDir, `${machine}.spool`), 1 << 20), { target, machine, run: 'r', limits: DEFAULT_LIMITS, waitMs: 10_000 });
    const got = new Promise((r) => seen.set(machine, r));
    const t0 = performance.now();
    p.finding({ kind: 'unattributed', callSite: 'bench', stack: null, ts: null, phase: 'boot', index: 0, line: null, fn: null });
    await got;
    delays.push(performance.now() - t0);
    await p.finish();
  }
  await messages.close();
  await c.jsm.consumers.delete(STREAM_NAME, 'bench-e2e');
  await c.nc.close();
  delays.sort((a, b) => a - b);
  return { samples, medianMs: +delays[Math.floor(samples / 2)].toFixed(1), p95Ms: +delays[Math.min(samples - 1, Math.floor(samples * 0.95))].toFixed(1), maxMs: +delays[samples - 1].toFixed(1), note: 'includes the publisher\'s connect' };
}

function fleetAnswer(urls, expectedViolations) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', process.execPath, CLI, 'fleet', '--server', urls, '--json'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28 });
  const [wall, rssKb] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  const totals = JSON.parse(r.stdout.trim().split('\n').at(-1));
  return { seconds: wall, maxRssMb: +(rssKb / 1024).toFixed(1), findings: totals.findings, violations: totals.violations, expectedViolations, rows: r.stdout.split('\n').length - 2 };
}

async function main() {
  const load = readFileSync('/proc/loadavg', 'utf8').trim();
  log(`fleet bench: ${MACHINES} machines, ${CONCURRENCY} at a time; ${cpus().length} cores, load ${load}`);
  const inputs = loadInputs();
  const expectedViolations = Array.from({ length: MACHINES }, (_, i) => inputs[i % inputs.length].violations).reduce((a, b) => a + b, 0);
  const work = mkdtempSync(join(tmpdir(), 'cfgscope-fleet-bench-'));
  const rows = [];
  const result = { machines: MACHINES, concurrency: CONCURRENCY, cores: cpus().length, loadBefore: load, date: new Date().toISOString(), rows };
  try {
    for (const [name, start, replicas] of [['1 node', startSingle, 1], ['3-node cluster R1', startCluster, 1], ['3-node cluster R3', startCluster, 3]]) {
      const nats = await start();
      try {
        const admin = await createStream(nats.urls, replicas);
        await admin.nc.close();
        log(`${name}: publishing`);
        const pub = await publishFleet(nats.urls, inputs, join(work, name.replace(/\W+/g, '-')), replicas);
        const row = { name, publish: pub };
        log(`  ${pub.accesses} accesses, ${pub.messages} messages in ${pub.seconds} s: ${pub.accessesPerS} accesses/s, ${pub.messagesPerS} messages/s`);
        row.endToEnd = await endToEnd(nats.urls, join(work, `${name.replace(/\W+/g, '-')}-e2e`));
        log(`  publish -> consumer sees it: median ${row.endToEnd.medianMs} ms, p95 ${row.endToEnd.p95Ms} ms`);
        row.fleet = fleetAnswer(nats.urls, expectedViolations);
        log(`  cfgscope fleet over the stream: ${row.fleet.seconds} s, ${row.fleet.maxRssMb} MB peak RSS, ${row.fleet.findings} findings, ${row.fleet.violations} violations (check summed: ${expectedViolations})`);
        rows.push(row);
      } finally {
        await nats.stop();
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  result.loadAfter = readFileSync('/proc/loadavg', 'utf8').trim();
  if (OUT) writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

await main();
