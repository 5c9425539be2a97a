// A real server on 127.0.0.1, port 0, fed by a real capture through the same pipeline as
// `cfgscope serve`, and the same capture judged by `cfgscope check --json` for comparison.
import { loadPolicies } from '../../src/policy/load-policy.js';
import type { Policy } from '../../src/policy/policy-types.js';
import { captureHistory, replayCapture, type CaptureStreamOptions } from '../../src/server/capture-stream.js';
import { serveEvents, type ServeHandle, type ServeOptions } from '../../src/server/serve-events.js';
import { resolveFormat } from '../../src/sources/records-from-file.js';
import { spawnSync } from 'node:child_process';

export const root = new URL('../../', import.meta.url).pathname;
export const QEMU_BASIC = `${root}replays/qemu-6.1-q35-basic/kernel.capture.ndjson`;
export const LAB_KEXEC = `${root}replays/lab-kexec/kernel.capture.ndjson`;

export async function policyFor(preserve: string): Promise<Policy> {
  const { policy } = await loadPolicies(['luo-default']);
  policy.preserved.push({ bdf: preserve });
  return policy;
}

export async function captureStream(file: string, preserve: string): Promise<CaptureStreamOptions> {
  return { file, format: await resolveFormat(file), policy: await policyFor(preserve), devices: [] };
}

export async function serveCapture(file: string, preserve: string, extra: Partial<ServeOptions> = {}): Promise<ServeHandle> {
  const stream = await captureStream(file, preserve);
  return serveEvents({
    source: replayCapture(stream, 0),
    history: captureHistory(stream),
    meta: { id: 'test', kind: 'replay', file, format: stream.format.kind, speed: 0, policy: null },
    listen: { host: '127.0.0.1', port: 0 },
    ...extra,
  });
}

export const wsUrl = (s: ServeHandle, query = ''): string => `${s.url.replace(/^http/, 'ws')}/ws${query}`;

/** `cfgscope check --json` of the same capture: what the stream's findings must be. */
export function checkJson(file: string, preserve: string): Record<string, unknown>[] {
  const run = spawnSync(process.execPath, [`${root}bin/cfgscope.js`, 'check', '--json', '--policy', 'luo-default', '--preserve', preserve, file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0 && run.status !== 1) throw new Error(`check failed: ${run.stderr}`);
  return run.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}
