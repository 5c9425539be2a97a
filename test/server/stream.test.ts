// A client that subscribes to everything gets hello, then every event of the capture with seq
// 1, 2, 3... and no hole; its findings are exactly what `cfgscope check --json` says of the
// same capture, each after the access it judges; filters keep exactly what they promise.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ServeHandle } from '../../src/server/serve-events.js';
import { checkJson, LAB_KEXEC, QEMU_BASIC, serveCapture, wsUrl } from './capture-server.js';
import { TestClient, type Msg } from './test-client.js';

// Real servers and sockets on a machine shared with other jobs: generous limits, never timing assertions.
vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

/** A server message as `check --json` prints the same event: without seq and the copied-up keys. */
function asCheckLine(m: Msg): Record<string, unknown> {
  const { seq: _s, bdf: _b, severity: _v, ...rest } = m;
  if (m.type === 'totals') return { ...rest, type: 'check-totals' };
  if (m.type === 'unattributed') { const { verdict: _x, ...u } = rest; return u; }
  if (m.type === 'end') return { type: 'end', counts: m['counts'], trailer: m['trailer'] };
  return rest;
}

async function readAll(s: ServeHandle, subscribe: Record<string, unknown> = {}): Promise<TestClient> {
  const c = new TestClient(wsUrl(s));
  await c.next((m) => m.type === 'hello');
  c.send({ type: 'subscribe', ...subscribe });
  await c.next((m) => m.type === 'caught-up' && m.seq === s.stats().head);
  return c;
}

describe.each([
  ['qemu-6.1-q35-basic', QEMU_BASIC, '0000:02:00.0'],
  ['lab-kexec', LAB_KEXEC, '0000:01:00.0'],
])('serving %s', (_name, file, preserve) => {
  let server: ServeHandle;
  const check = checkJson(file, preserve);
  beforeAll(async () => {
    server = await serveCapture(file, preserve);
    await server.ended;
  });
  afterAll(async () => { await server.close(); });

  it('says hello with the stream, then sends every event once, in seq order, as check judges them', async () => {
    const c = await readAll(server);
    const hello = c.messages[0]!;
    expect(hello).toMatchObject({ type: 'hello', seq: 0, protocol: 1, first: 1, next: server.stats().head + 1, ended: true });
    expect((hello['stream'] as { header: { format: string } }).header.format).toBe('cfgscope-capture');

    const events = c.events();
    expect(events.map((m) => m.seq)).toEqual(Array.from({ length: server.stats().head }, (_, i) => i + 1));
    const judged = events.filter((m) => ['finding', 'target', 'unattributed', 'totals', 'end'].includes(m.type));
    expect(judged.map(asCheckLine)).toEqual(check);

    const end = events.at(-1)!;
    expect(end.type).toBe('end');
    const accesses = events.filter((m) => m.type === 'access');
    expect(accesses.map((a) => a['index'])).toEqual(Array.from({ length: (end['counts'] as { accesses: number }).accesses }, (_, i) => i));
    // Each finding follows the access it judges: the latest access before it has its index.
    let lastAccess: Msg | null = null;
    for (const m of events) {
      if (m.type === 'access') lastAccess = m;
      if (m.type === 'finding') expect(lastAccess?.['index']).toBe(m['index']);
    }
    await c.close();
  });

  it('violationsOnly sends exactly the violations check reports, with the stream context', async () => {
    const c = await readAll(server, { violationsOnly: true });
    const got = c.events();
    const violations = check.filter((l) => (l['type'] === 'finding' || l['type'] === 'target') && l['verdict'] === 'violation');
    expect(got.filter((m) => m.type === 'finding' || m.type === 'target').map(asCheckLine)).toEqual(violations);
    expect(new Set(got.map((m) => m.type))).toEqual(new Set(['header', 'phase', 'finding', 'totals', 'end', ...got.some((m) => m.type === 'target') ? ['target'] : []]));
    await c.close();
  });

  it('bdf and minSeverity filters keep one device and the severities at or above', async () => {
    const all = await readAll(server);
    const one = await readAll(server, { bdf: preserve.replace(/^0000:/, ''), minSeverity: 'warning' });
    const kept = (m: Msg): boolean => {
      if (m.bdf !== undefined && m.bdf !== null && m.bdf !== preserve) return false;
      return !((m.type === 'finding' || m.type === 'target') && m.severity === 'info');
    };
    expect(one.events()).toEqual(all.events().filter(kept));
    expect(one.events().some((m) => m.type === 'access' && m.bdf === preserve)).toBe(true);
    await all.close();
    await one.close();
  });
});

describe('serving a raw ftrace log with --devices from the device-side log', () => {
  it('tells every identified device before the first access to it, and judges as check does', async () => {
    const { loadPolicies } = await import('../../src/policy/load-policy.js');
    const { captureHistory, replayCapture } = await import('../../src/server/capture-stream.js');
    const { serveEvents } = await import('../../src/server/serve-events.js');
    const { resolveFormat } = await import('../../src/sources/records-from-file.js');
    const { root } = await import('./capture-server.js');
    const file = `${root}test/fixtures/qemu-6.1-q35-basic/serial.log`;
    const devices = [`${root}test/fixtures/qemu-6.1-q35-basic/qemu-trace.log`];
    const { policy } = await loadPolicies(['luo-default']);
    policy.preserved.push({ bdf: '0000:02:00.0' });
    const stream = { file, format: await resolveFormat(file), policy, devices };
    const server = await serveEvents({
      source: replayCapture(stream, 0), history: captureHistory(stream),
      meta: { id: 'raw', kind: 'replay', policy: null }, listen: { host: '127.0.0.1', port: 0 },
    });
    await server.ended;
    const c = await readAll(server);
    const events = c.events();
    expect(events[0]!.type).toBe('header');
    // Devices the device-side log knows come first; an address the kernel probed that holds no
    // device (reads all ones) never gets an identity.
    const identified = new Set(events.filter((m) => m.type === 'device').map((m) => m.bdf as string));
    expect(identified.size).toBeGreaterThan(5);
    const told = new Set<string>();
    for (const m of events) {
      if (m.type === 'device') told.add(m.bdf as string);
      if (m.type === 'access' && identified.has(m.bdf as string)) expect(told).toContain(m.bdf);
    }
    const { spawnSync } = await import('node:child_process');
    const check = spawnSync(process.execPath, [`${root}bin/cfgscope.js`, 'check', '--json', '--policy', 'luo-default', '--preserve', '0000:02:00.0', '--devices', devices[0]!, file], { encoding: 'utf8' });
    const lines = check.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.filter((m) => ['finding', 'target', 'unattributed', 'totals', 'end'].includes(m.type)).map(asCheckLine)).toEqual(lines);
    await c.close();
    await server.close();
  });
});
