// `cfgscope capture` on hosts without kprobes: the live path is fed by a process that replays what a
// real bpftrace printed in the lab (test/support/recorded-bpftrace.mjs, on test/fixtures/bpftrace),
// through real pipes and real signals. The lab (test/lab/run-live.sh) runs it with a real bpftrace.
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfgscopeError } from '../../src/model/errors.js';
import { parseBpftraceVersion, preflight } from '../../src/sources/capture-preflight.js';
import { probeBootTrace } from '../../src/sources/boot-trace.js';
import { probeArgs } from '../../src/cli/capture-command.js';

const root = new URL('../../', import.meta.url).pathname;
const bin = `${root}bin/cfgscope.js`;
const recorded = `${root}test/support/recorded-bpftrace.mjs`;
const fixture = (f: string): string => `${root}test/fixtures/bpftrace/${f}`;

interface Rec { t: string; line?: number; [k: string]: unknown }
const readRecords = (file: string): Rec[] => readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Rec);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Live { code: number | null; stdout: string; stderr: string; out: string }

/**
 * Runs `capture` on a recorded bpftrace output. `stopWhen` is polled on the capture file as it is
 * written; once true, cfgscope gets SIGINT (as from Ctrl-C). Without it the run ends on its own.
 */
async function liveCapture(recording: string, extra: string[], stopWhen: ((text: string) => boolean) | null, env: NodeJS.ProcessEnv = {}, signals = 1): Promise<Live> {
  const dir = mkdtempSync(join(tmpdir(), 'cfgscope-cap-'));
  const out = join(dir, 'live.ndjson');
  const child = spawn(process.execPath, [bin, 'capture', '-o', out, '--no-preflight', '--bpftrace', recorded, '--probe', recording, ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  if (stopWhen) {
    let text = '';
    for (let i = 0; i < 600 && !stopWhen(text); i++) {
      await sleep(50);
      try { text = readFileSync(out, 'utf8'); } catch { text = ''; }
    }
    child.kill('SIGINT');
    // A second Ctrl-C once cfgscope has said it is waiting for bpftrace.
    for (let n = 1; n < signals; n++) {
      for (let i = 0; i < 200 && !stderr.includes('stopping bpftrace'); i++) await sleep(50);
      child.kill('SIGINT');
    }
  }
  const code = await exited;
  return { code, stdout, stderr, out };
}

/** The capture minus what legitimately differs between a live run and an import: the header. */
const body = (recs: Rec[]): Rec[] => recs.filter((r) => r.t !== 'header');

function imported(recording: string): Rec[] {
  const dir = mkdtempSync(join(tmpdir(), 'cfgscope-imp-'));
  const out = join(dir, 'imported.ndjson');
  const r = spawnSync(process.execPath, [bin, 'import', recording, '-o', out], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  return readRecords(out);
}

/** Number of `ev` events before the END banner in a recorded output (text or JSON). */
const eventsBeforeEnd = (recording: string): number => {
  const text = readFileSync(recording, 'utf8');
  return (text.slice(0, text.indexOf('cfgscope-bpftrace v1 end')).match(/(^|")ev op=/gm) ?? []).length;
};
const accessesIn = (text: string): number => (text.match(/"t":"access"/g) ?? []).length;

describe('capture: live bpftrace output through the import pipeline', () => {
  // What `replay` says of the same recordings (fixture README): the text run's perf buffers still
  // held events at SIGINT, the JSON run's did not.
  const verdicts: Record<string, RegExp> = {
    'probe-phases.txt': /probe counts do NOT reconcile \(short\): 503 printed \+ 0 lost vs 504 counted; user, r: 6 printed, 7 counted/,
    'probe-phases.json': /probe counts reconcile: 505 printed \+ 0 lost = 505 counted in the kernel/,
  };
  for (const f of Object.keys(verdicts)) {
    it(`${f}: stopped by SIGINT once everything arrived, the capture equals the import of the same output`, async () => {
      const want = eventsBeforeEnd(fixture(f));
      const run = await liveCapture(fixture(f), [], (t) => accessesIn(t) + (t.match(/"t":"nested"/g) ?? []).length >= want);
      expect(run.stderr).toContain('SIGINT: stopping bpftrace (SIGINT)');
      expect(run.code).toBe(0);
      const live = readRecords(run.out);
      const trailer = live.at(-1)!;
      expect(trailer).toMatchObject({ t: 'trailer', complete: true });
      expect(body(live)).toEqual(body(imported(fixture(f))));
      expect(live[0]).toMatchObject({ t: 'header', source: { kind: 'bpftrace', file: 'bpftrace:stdout' }, clock: 'mono' });
      expect(run.stderr).toMatch(verdicts[f]!);
    }, 60_000);
  }

  it('prints violations while the tracer is still running, the same ones check finds afterwards', async () => {
    const run = await liveCapture(fixture('probe-phases.txt'), ['--preserve', '0000:01:00.0'], (t) => accessesIn(t) >= eventsBeforeEnd(fixture('probe-phases.txt')));
    const before = run.stdout.slice(0, run.stdout.indexOf('phase 2: bpftrace end'));
    const live = before.split('\n').filter((l) => l.startsWith('VIOLATION '));
    const check = spawnSync(process.execPath, [bin, 'check', '--json', '--policy', 'luo-default', '--preserve', '0000:01:00.0', run.out], { encoding: 'utf8' });
    const found = check.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { type?: string; kind?: string; verdict?: string })
      .filter((e) => (e.type ?? e.kind) === 'finding' && e.verdict === 'violation');
    expect(found.length).toBeGreaterThan(0);
    expect(live.length).toBe(found.length);
    expect(live.some((l) => /0000:01:00\.0 \[preserved\] BASE_ADDRESS_0 .* by __pci_read_base/.test(l))).toBe(true);
    expect(run.code).toBe(1); // violations at error severity
  }, 60_000);

  it('reports lost events as they arrive, and reconciles printed + lost with @count at exit', async () => {
    const f = fixture('probe-lost.txt');
    const run = await liveCapture(f, [], (t) => accessesIn(t) >= eventsBeforeEnd(f));
    const lostAt = run.stderr.indexOf('LOST ');
    expect(lostAt).toBeGreaterThan(-1);
    expect(lostAt).toBeLessThan(run.stderr.indexOf('SIGINT: stopping'));
    const lostLines = readFileSync(f, 'utf8').match(/^Lost (\d+) events$/gm)!;
    const lostTotal = lostLines.reduce((a, l) => a + Number(/\d+/.exec(l)![0]), 0);
    expect(readRecords(run.out).at(-1)).toMatchObject({ complete: true, counts: { lostEvents: lostTotal } });
    expect(run.stderr).toMatch(new RegExp(`probe counts (reconcile: \\d+ printed \\+ ${lostTotal} lost|do NOT reconcile)`));
  }, 60_000);

  it('a tracer that dies mid-capture leaves an incomplete capture that check reads whole', async () => {
    const run = await liveCapture(fixture('probe-phases.txt'), ['--policy', 'luo-default', '--preserve', '0000:01:00.0'], null, { RECORDED_DIE_AFTER: '3000' });
    expect(run.code).toBe(65);
    expect(run.stderr).toMatch(/CAPTURE_TRACER_DIED: bpftrace exited \(signal SIGKILL\) before printing its END output/);
    const recs = readRecords(run.out);
    expect(recs.at(-1)).toMatchObject({ t: 'trailer', complete: false });
    const n = (recs.at(-1)!.counts as { accesses: number }).accesses;
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(eventsBeforeEnd(fixture('probe-phases.txt')));
    const replay = spawnSync(process.execPath, [bin, 'replay', '--json', run.out], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const end = JSON.parse(replay.stdout.trimEnd().split('\n').at(-1)!) as unknown;
    expect(end).toMatchObject({ type: 'end', trailer: 'incomplete', counts: { accesses: n, skipped: 0 } });
    const check = spawnSync(process.execPath, [bin, 'check', '--policy', 'luo-default', '--preserve', '0000:01:00.0', run.out], { encoding: 'utf8' });
    expect([0, 1]).toContain(check.status);
    expect(check.stderr).not.toContain('skipped');
  }, 60_000);
});

describe('capture: in-kernel filters', () => {
  it('--writes-only and --device become the probe\'s positional parameters (probes/cfgscope.bt usage)', async () => {
    expect(probeArgs(false, undefined)).toEqual([]);
    expect(probeArgs(true, undefined)).toEqual(['1']);
    expect(probeArgs(false, '0000:02:00.0')).toEqual(['0', '0', '2', '0']);
    expect(probeArgs(true, '0001:3b:01.2')).toEqual(['1', '1', '59', '10']);
    expect(() => probeArgs(true, '3b:1')).toThrow(/PCI address/);
    // ...and reach the tracer's command line.
    const run = await liveCapture(fixture('probe-lost.txt'), ['--writes-only', '--device', '0000:02:00.0'], (t) => t.includes('"t":"phase"'));
    expect(run.stderr).toMatch(/running \S+recorded-bpftrace\.mjs \S+probe-lost\.txt 1 0 2 0\n/);
  }, 60_000);
});

describe('capture: a tracer that does not stop', () => {
  it('is killed after --stop-wait; the capture is closed as incomplete and check reads it', async () => {
    const f = fixture('probe-phases.txt');
    const run = await liveCapture(f, ['--stop-wait', '1'], (t) => accessesIn(t) >= eventsBeforeEnd(f), { RECORDED_IGNORE_SIGINT: '1' });
    expect(run.code).toBe(65);
    expect(run.stderr).toContain('CAPTURE_TRACER_DIED: bpftrace did not end within 1 s of SIGINT and was killed');
    const recs = readRecords(run.out);
    expect(recs.at(-1)).toMatchObject({ t: 'trailer', complete: false, counts: { accesses: eventsBeforeEnd(f) } });
    const check = spawnSync(process.execPath, [bin, 'check', '--policy', 'luo-default', run.out], { encoding: 'utf8' });
    expect(check.status).toBe(0);
    expect(check.stderr).not.toContain('skipped');
  }, 60_000);

  it('a second Ctrl-C kills it at once instead of waiting', async () => {
    const f = fixture('probe-phases.txt');
    const run = await liveCapture(f, ['--stop-wait', '600'], (t) => accessesIn(t) >= eventsBeforeEnd(f), { RECORDED_IGNORE_SIGINT: '1' }, 2);
    expect(run.code).toBe(65);
    expect(run.stderr).toContain('SIGINT again: killing bpftrace now');
    expect(readRecords(run.out).at(-1)).toMatchObject({ t: 'trailer', complete: false });
  }, 60_000);
});

describe('capture: what the machine is missing is named with a code', () => {
  it('not root: CAPTURE_NOT_ROOT (a real process without root)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfgscope-nr-'));
    spawnSync('chmod', ['777', dir]);
    // As root, drop to nobody for the child; a non-root test run is already the case under test.
    const asRoot = process.getuid?.() === 0;
    const r = spawnSync(process.execPath, [bin, 'capture', '-o', join(dir, 'x.ndjson')], { encoding: 'utf8', ...(asRoot ? { uid: 65534, gid: 65534 } : {}) });
    expect(r.status).toBe(65);
    expect(r.stderr).toMatch(new RegExp(`CAPTURE_NOT_ROOT: capture needs root .* running as uid ${asRoot ? 65534 : process.getuid?.()}`));
  });

  it('no bpftrace: CAPTURE_NO_BPFTRACE', () => {
    const r = spawnSync(process.execPath, [bin, 'capture', '-o', '/dev/null', '--bpftrace', '/nonexistent/bpftrace'], { encoding: 'utf8' });
    expect(r.status).toBe(65);
    expect(r.stderr).toContain('CAPTURE_NO_BPFTRACE: /nonexistent/bpftrace not found');
  });

  it('bpftrace versions: 0.17 and later pass, older ones are refused', () => {
    expect(parseBpftraceVersion('bpftrace v0.17.0\n')).toEqual([0, 17, 0]);
    expect(parseBpftraceVersion('bpftrace v0.21.2-3\n')).toEqual([0, 21, 2]);
    expect(parseBpftraceVersion('something else')).toBeNull();
  });

  it('a kernel without tracefs, kprobes or BTF: CAPTURE_KERNEL_UNSUPPORTED naming each', () => {
    const sys = mkdtempSync(join(tmpdir(), 'cfgscope-sys-'));
    let err: unknown;
    try { preflight({ bpftrace: recorded, sysRoot: sys, euid: 0 }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(CfgscopeError);
    expect((err as CfgscopeError).code).toBe('CAPTURE_KERNEL_UNSUPPORTED');
    expect((err as Error).message).toMatch(/missing: tracefs .*; kprobes .*; BTF/);
    // The same tree with what the probe needs passes and says where tracefs is.
    mkdirSync(join(sys, 'sys/kernel/tracing'), { recursive: true });
    writeFileSync(join(sys, 'sys/kernel/tracing/trace'), '');
    writeFileSync(join(sys, 'sys/kernel/tracing/kprobe_events'), '');
    mkdirSync(join(sys, 'sys/kernel/btf'), { recursive: true });
    writeFileSync(join(sys, 'sys/kernel/btf/vmlinux'), '');
    expect(preflight({ bpftrace: recorded, sysRoot: sys, euid: 0 })).toEqual({ bpftraceVersion: 'v0.17.0', tracefs: join(sys, 'sys/kernel/tracing') });
    expect(probeBootTrace(join(sys, 'sys/kernel/tracing')).present).toBe(false);
  });
});
