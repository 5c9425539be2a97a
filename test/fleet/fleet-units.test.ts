// The fleet's pure parts: server URLs and credentials, subject tokens, --since, the spool file
// (bounded, acknowledged prefix, lock), the tally.

import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { natsTarget } from '../../src/fleet/nats-target.js';
import { checkToken, defaultMachine, defaultRun } from '../../src/fleet/fleet-subjects.js';
import { SpoolFile } from '../../src/fleet/spool-file.js';
import { FleetTally } from '../../src/fleet/fleet-tally.js';
import { identityOf, type Envelope, type FleetFinding } from '../../src/fleet/fleet-message.js';
import { parseSince } from '../../src/cli/fleet-command.js';

describe('natsTarget', () => {
  it('takes servers, credentials from the URL or the environment, TLS', () => {
    expect(natsTarget('nats://127.0.0.1:4222', '--publish', {}, {})).toEqual({ servers: ['127.0.0.1:4222'], display: 'nats://127.0.0.1:4222' });
    expect(natsTarget('nats://a:4222,nats://b', '--publish', {}, {}).servers).toEqual(['a:4222', 'b:4222']);
    expect(natsTarget('nats://u:p%40ss@h:1', '--publish', {}, {})).toMatchObject({ user: 'u', pass: 'p@ss', display: 'nats://h:1' });
    expect(natsTarget('nats://s3cret@h:1', '--publish', {}, {})).toMatchObject({ token: 's3cret' });
    expect(natsTarget('nats://h:1', '--publish', {}, { CFGSCOPE_NATS_USER: 'x', CFGSCOPE_NATS_PASSWORD: 'y' })).toMatchObject({ user: 'x', pass: 'y' });
    expect(natsTarget('tls://h:1', '--publish', { natsCa: '/ca.pem' }, {})).toMatchObject({ tls: { caFile: '/ca.pem' }, display: 'tls://h:1' });
    expect(natsTarget('nats://h:1', '--publish', {}, { CFGSCOPE_NATS_CERT: '/c', CFGSCOPE_NATS_KEY: '/k' }).tls).toEqual({ certFile: '/c', keyFile: '/k' });
  });
  it('refuses what is not a NATS URL, with a code', () => {
    for (const bad of ['http://h:1', 'h:4222', '', 'nats://']) expect(() => natsTarget(bad, '--publish', {}, {})).toThrow(/FLEET_BAD_URL/);
    expect(() => natsTarget('nats://t@h', '--server', {}, { CFGSCOPE_NATS_USER: 'u' })).toThrow(/both a token and a user/);
    expect(() => natsTarget('nats://h', '--server', { natsCert: '/c' }, {})).toThrow(/needs both/);
  });
});

describe('names', () => {
  it('machine and run names are subject tokens, checked, never rewritten', () => {
    expect(checkToken('rack3-node_17', '--machine')).toBe('rack3-node_17');
    for (const bad of ['a.b', 'a b', '*', '>', '', 'x'.repeat(65)]) expect(() => checkToken(bad, '--machine')).toThrow(/FLEET_BAD_NAME/);
    expect(defaultMachine('host1.example.org')).toBe('host1');
    expect(defaultMachine('wéird')).toBe('w_ird');
    expect(defaultRun(new Date('2026-12-02T13:50:01.123Z'), 0.5)).toBe('20261202T135001Z-8000');
  });
  it('--since takes durations and dates', () => {
    const now = Date.parse('2026-12-02T12:00:00Z');
    expect(parseSince('2h', now)).toBe(now - 7_200_000);
    expect(parseSince('7d', now)).toBe(now - 7 * 86_400_000);
    expect(parseSince('2026-12-01', now)).toBe(Date.parse('2026-12-01'));
    expect(parseSince('2026-12-01T10:00:00Z', now)).toBe(Date.parse('2026-12-01T10:00:00Z'));
    for (const bad of ['yesterday', '2h30', '-1h', '2026-13-45']) expect(() => parseSince(bad, now)).toThrow(/FLEET_BAD_SINCE/);
  });
});

describe('SpoolFile', () => {
  const dir = (): string => mkdtempSync(join(tmpdir(), 'cfgscope-spool-unit-'));

  it('keeps messages until acknowledged, across processes, and empties when all are', () => {
    const d = dir();
    const p = join(d, 's');
    const a = new SpoolFile(p, 1 << 20);
    a.append('cfgscope.m.r.access', 'm.r.0', '{"r":[1]}');
    a.append('cfgscope.m.r.finding', 'm.r.f0', '{"r":[2]}');
    const first = a.readPending(1 << 20);
    expect(first.map((m) => [m.subject, m.id, m.payload])).toEqual([['cfgscope.m.r.access', 'm.r.0', '{"r":[1]}'], ['cfgscope.m.r.finding', 'm.r.f0', '{"r":[2]}']]);
    a.ack(first[0]!.end);
    a.close(); // one message left: the file stays
    const b = new SpoolFile(p, 1 << 20);
    expect(b.readPending(1 << 20).map((m) => m.id)).toEqual(['m.r.f0']);
    b.ack(b.readPending(1 << 20)[0]!.end);
    expect(b.pendingBytes).toBe(0);
    b.close();
    expect(existsSync(p)).toBe(false);
    rmSync(d, { recursive: true });
  });

  it('reads whole messages only, even one larger than the read size', () => {
    const d = dir();
    const s = new SpoolFile(join(d, 's'), 1 << 20);
    s.append('a', '1', 'x'.repeat(1000));
    s.append('a', '2', 'y');
    expect(s.readPending(10).map((m) => m.id)).toEqual(['1']);
    expect(s.readPending(1500).map((m) => m.id)).toEqual(['1', '2']);
    s.close();
    rmSync(d, { recursive: true });
  });

  it('a full spool is FLEET_SPOOL_FULL and keeps what it has', () => {
    const d = dir();
    const p = join(d, 's');
    const s = new SpoolFile(p, 100);
    s.append('a', '1', 'x'.repeat(50));
    expect(() => s.append('a', '2', 'x'.repeat(50))).toThrow(/FLEET_SPOOL_FULL/);
    expect(s.readPending(1000).map((m) => m.id)).toEqual(['1']);
    s.close();
    expect(statSync(p).size).toBeLessThanOrEqual(100);
    rmSync(d, { recursive: true });
  });

  it('one live process per spool; a lock left by a dead one is taken over', () => {
    const d = dir();
    const p = join(d, 's');
    const a = new SpoolFile(p, 1000);
    writeFileSync(`${p}.lock`, '1\n'); // pid 1 is alive (init)
    expect(() => new SpoolFile(p, 1000)).toThrow(/FLEET_SPOOL_BUSY/);
    writeFileSync(`${p}.lock`, '999999999\n');
    const b = new SpoolFile(p, 1000);
    expect(readFileSync(`${p}.lock`, 'utf8').trim()).toBe(String(process.pid));
    b.close();
    a.close();
    rmSync(d, { recursive: true });
  });
});

describe('FleetTally', () => {
  const f = (o: Partial<FleetFinding>): FleetFinding => ({ type: 'finding', verdict: 'violation', rule: 'decode', severity: 'error', identity: '8086:10d3', bdf: '0000:01:00.0', register: 'COMMAND', fields: [], old: 1, new: 0, callSite: 'pci_disable_device', source: null, phase: 'boot', line: 1, ...o });
  const env = (machine: string, run: string, at: number, r: FleetFinding[], kernel: string | null = '6.1.0'): Envelope<FleetFinding> => ({ v: 1, machine, run, kernel, kind: 'finding', seq: 0, at, r });

  it('counts violations per kernel, identity, register and call site, by machine and run', () => {
    const t = new FleetTally();
    t.add(env('a', 'r1', 100, [f({})]));
    t.add(env('a', 'r2', 300, [f({})]));
    t.add(env('b', 'r1', 200, [f({ bdf: '0000:05:00.0' })])); // same model elsewhere: same row
    t.add(env('b', 'r1', 250, [f({ verdict: 'expected' })]));
    t.add(env('c', 'r1', 50, [f({ callSite: null })], null));
    t.add(null);
    const rows = t.sorted();
    expect(rows.map((r) => [r.kernel, r.callSite, r.violations, [...r.machines].sort(), r.runs.size, r.first, r.last])).toEqual([
      ['(kernel release unknown)', '(call site unknown)', 1, ['c'], 1, 50, 50],
      ['6.1.0', 'pci_disable_device', 3, ['a', 'b'], 3, 100, 300],
    ]);
    expect([t.messages, t.findings, t.notViolations, t.unreadable]).toEqual([6, 5, 1, 1]);
  });

  it('--since and --kernel leave findings out, counted', () => {
    const t = new FleetTally({ since: 150, kernel: '6.1.0' });
    t.add(env('a', 'r1', 100, [f({})]));
    t.add(env('a', 'r1', 200, [f({})], '6.12.0'));
    t.add(env('a', 'r1', 200, [f({})]));
    expect(t.sorted().map((r) => r.violations)).toEqual([1]);
    expect(t.filtered).toBe(2);
  });

  it('identity: vendor:device, with the subsystem when the capture has it; unknown otherwise', () => {
    expect(identityOf(0x8086, 0x10d3, undefined)).toBe('8086:10d3');
    expect(identityOf(0x8086, 0x10d3, { t: 'device', bdf: 'x', from: 'trace', subvendor: 0x8086, subdevice: 0 })).toBe('8086:10d3:8086:0000');
    expect(identityOf(null, null, { t: 'device', bdf: 'x', from: 'trace', vendor: 0x1af4, device: 0x1041 })).toBe('1af4:1041');
    expect(identityOf(null, 0x10d3, undefined)).toBe('unknown');
  });
});
