// What the fleet tests share: the built CLI as a child process (as a machine runs it), check's own
// NDJSON findings summed the way `fleet` counts them, and every message of the stream read back.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connectFleet, retryTransient } from '../../src/fleet/fleet-connection.js';
import { identityOf, type Envelope } from '../../src/fleet/fleet-message.js';
import { STREAM_NAME } from '../../src/fleet/fleet-subjects.js';
import { natsTarget } from '../../src/fleet/nats-target.js';
import type { DeviceRecord, HeaderRecord } from '../../src/model/records.js';

export const root = new URL('../../', import.meta.url).pathname;
export const BIN = `${root}bin/cfgscope.js`;

export interface BinRun { code: number | null; stdout: string; stderr: string }

/** `node bin/cfgscope.js ...`, killed after `timeoutMs` (a hang fails the test, never blocks it). */
export function runBin(args: string[], timeoutMs = 120_000, env: NodeJS.ProcessEnv = {}, started?: (pid: number) => void, onStderr?: (text: string) => void): Promise<BinRun> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
    p.stderr.on('data', (b: Buffer) => { stderr += b.toString(); onStderr?.(b.toString()); });
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    if (p.pid !== undefined) started?.(p.pid);
    p.on('close', (code) => { clearTimeout(t); resolve({ code, stdout, stderr }); });
  });
}

/** The lab captures that the simulated fleet re-addresses as machines, and a preserved device each. */
export const FLEET_CAPTURES = [
  'replays/lab-e1000e-off/kernel.capture.ndjson',
  'replays/lab-e1000e-on/kernel.capture.ndjson',
  'replays/lab-kexec/kernel.capture.ndjson',
  'replays/lab-resets/kernel.capture.ndjson',
  'replays/lab-sriov/kernel.capture.ndjson',
  'replays/qemu-6.1-q35-basic/kernel.capture.ndjson',
  'replays/qemu-6.1-bpftrace/probe-phases.capture.ndjson',
];
export const CHECK_ARGS = ['--policy', 'luo-default', '--preserve', '0000:01:00.0', '--preserve', '0000:02:00.0'];

/** Violations per `kernel|identity|register|callSite` from `check --json` of one capture, the
 *  identity made from the capture's own device records (the oracle does not use fleet's code
 *  for anything but the identity's spelling). */
export async function checkCounts(capture: string): Promise<Map<string, number>> {
  const r = await runBin(['check', '--json', ...CHECK_ARGS, capture]);
  if (r.code !== 0 && r.code !== 1) throw new Error(`check ${capture}: ${r.code} ${r.stderr}`);
  const devices = new Map<string, DeviceRecord>();
  let kernel = '(kernel release unknown)';
  for (const line of readFileSync(capture.startsWith('/') ? capture : `${root}${capture}`, 'utf8').split('\n')) {
    if (!line) continue;
    const rec = JSON.parse(line) as { t: string };
    if (rec.t === 'device') devices.set((rec as DeviceRecord).bdf, rec as DeviceRecord);
    if (rec.t === 'header') kernel = (rec as HeaderRecord).kernel?.release ?? kernel;
  }
  const counts = new Map<string, number>();
  for (const line of r.stdout.split('\n')) {
    if (!line) continue;
    const f = JSON.parse(line) as { type: string; verdict?: string; device?: { bdf: string; vendor: number | null; device: number | null }; register?: string; callSite?: string | null };
    if ((f.type !== 'finding' && f.type !== 'target') || f.verdict !== 'violation') continue;
    const id = identityOf(f.device!.vendor, f.device!.device, devices.get(f.device!.bdf));
    const key = `${kernel}|${id}|${f.register}|${f.callSite ?? '(call site unknown)'}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

export interface FleetRowJson { type: string; kernel: string; identity: string; register: string; callSite: string; violations: number; machines: string[]; runs: number }

export function fleetCounts(stdout: string): { counts: Map<string, number>; rows: FleetRowJson[] } {
  const rows = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as FleetRowJson).filter((r) => r.type === 'row');
  return { rows, counts: new Map(rows.map((r) => [`${r.kernel}|${r.identity}|${r.register}|${r.callSite}`, r.violations])) };
}

/** Every message of the stream, per `machine/run` (findings, numbered apart, per
 *  `machine/run#finding`): the ranges [seq, seq + n) each message covers. */
export async function readStream(urls: string): Promise<Map<string, Array<[number, number]>>> {
  const { DeliverPolicy } = await import('@nats-io/jetstream');
  const c = await connectFleet(natsTarget(urls, 'test'), 10_000, 'cfgscope test reader');
  const runs = new Map<string, Array<[number, number]>>();
  try {
    const consumer = await retryTransient(60_000, () => c.js.consumers.get(STREAM_NAME, { deliver_policy: DeliverPolicy.All }));
    let pending = (await consumer.info(true)).num_pending;
    while (pending > 0) {
      const batch = await consumer.fetch({ max_messages: Math.min(pending, 1000), expires: 5000 });
      for await (const m of batch) {
        const env = m.json<Envelope>();
        const k = `${env.machine}/${env.run}${env.kind === 'finding' ? '#finding' : ''}`;
        if (!runs.has(k)) runs.set(k, []);
        runs.get(k)!.push([env.seq, env.r.length]);
        pending--;
      }
    }
  } finally {
    await c.nc.close();
  }
  return runs;
}

/** Whether the ranges tile 0..total exactly: nothing missing, nothing twice. */
export function tiles(ranges: Array<[number, number]>): { total: number; gaps: number; overlaps: number } {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  let next = 0;
  let gaps = 0;
  let overlaps = 0;
  for (const [seq, n] of sorted) {
    if (seq > next) gaps++;
    if (seq < next) overlaps++;
    next = Math.max(next, seq + n);
  }
  return { total: next, gaps, overlaps };
}
