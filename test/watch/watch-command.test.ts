// `cfgscope watch` as a process against a real `cfgscope serve` replaying the real q35 capture under
// luo-default: it lists what `cfgscope check --json` finds, in plain lines when stdout is not a
// terminal, a coloured live view when it is; a server killed and restarted mid-stream costs it no
// line and doubles none; a wrong token or URL ends it with a coded error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { BIN, BPFTRACE_LOST, checkJson, LAB_KEXEC, QEMU_BASIC, judgedWrites, kill, PRESERVE, startServe, valueChange, type Judged, type ServeProcess } from '../support/serve-process.js';
import { findingLines, runWatch, type WatchLine } from './watch-process.js';

let judged: Judged[];
const running: ServeProcess[] = [];

beforeAll(() => { judged = judgedWrites(checkJson()); }, 60_000);
afterAll(async () => { for (const s of running) await kill(s); });

async function serve(port: number, ...args: string[]): Promise<ServeProcess> {
  const s = await startServe(port, args);
  running.push(s);
  return s;
}

/** The device's line in `cfgscope replay` (lspci style, names from pci.ids). */
function replayDescription(bdf: string): string {
  const replay = spawnSync(process.execPath, [BIN, 'replay', QEMU_BASIC], { encoding: 'utf8' }).stdout;
  return replay.split('\n').find((l) => l.startsWith(`  ${bdf} `))!.trim();
}
const escape = (t: string): string => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const ws = (s: ServeProcess): string => s.http.replace(/^http/, 'ws');
const expected = (j: Judged): Omit<WatchLine, 'seq'> => ({ verdict: j.verdict, severity: j.severity, bdf: j.bdf, register: j.register, vals: valueChange(j), callSite: j.callSite ?? '?', rule: j.rule });
const withoutSeq = (ls: WatchLine[]): Omit<WatchLine, 'seq'>[] => ls.map(({ seq: _s, ...l }) => l);

describe('cfgscope watch', () => {
  it('prints check\'s findings as plain lines when stdout is not a terminal', async () => {
    const s = await serve(0, '--fast');
    const w = runWatch([ws(s), '--until-end']);
    expect(await w.exit).toBe(0);
    const out = w.stdout();
    expect(withoutSeq(findingLines(out))).toEqual(judged.map(expected));
    expect(out).not.toMatch(/\x1b/);
    // Each rule's reason once, under its first finding.
    const rules = new Set(judged.map((j) => j.rule));
    expect(out.match(/^ {4}why /gm)?.length).toBe(rules.size);
    // Counts per device at the end, as check counts them.
    const v = judged.filter((j) => j.verdict === 'violation' && j.bdf === PRESERVE).length;
    // named as `cfgscope replay` names it (pci.ids)
    const described = replayDescription(PRESERVE);
    expect(out).toMatch(new RegExp(`^# +\\d+ reads +\\d+ writes +${v} violations +\\d+ expected  ${escape(described)}$`, 'm'));
    await kill(s);
  }, 60_000);

  it('--violations-only --device asks the server for that device\'s violations only', async () => {
    const s = await serve(0, '--fast');
    const w = runWatch([ws(s), '--until-end', '--violations-only', '--device', PRESERVE]);
    expect(await w.exit).toBe(0);
    const want = judged.filter((j) => j.verdict === 'violation' && j.bdf === PRESERVE);
    expect(want.length).toBeGreaterThan(0);
    expect(withoutSeq(findingLines(w.stdout()))).toEqual(want.map(expected));
    await kill(s);
  }, 60_000);

  it('continues without loss or repeats after the server is killed mid-stream and restarted', async () => {
    const first = await serve(0, '--speed', '1');
    const w = runWatch([ws(first), '--until-end']);
    await w.waitFor(/^#\d+ violation /m);
    expect(w.stdout()).not.toMatch(/^# end:/m);
    const before = findingLines(w.stdout()).length;
    expect(before).toBeLessThan(judged.length);
    await kill(first);
    await w.waitFor(/^# connection closed .* resuming from seq \d+/m);
    const second = await serve(first.port, '--speed', '1');
    expect(await w.exit).toBe(0);
    const out = w.stdout();
    const lines = findingLines(out);
    expect(withoutSeq(lines)).toEqual(judged.map(expected));
    expect(new Set(lines.map((l) => l.seq)).size).toBe(lines.length);
    // It resumed (same stream id), it did not start over.
    const resumedFrom = [...out.matchAll(/^# connected to .* from seq (\d+)$/gm)].map((m) => Number(m[1]));
    expect(resumedFrom.length).toBe(2);
    expect(resumedFrom[1]).toBeGreaterThan(1);
    expect(out).not.toMatch(/another stream/);
    await kill(second);
  }, 60_000);

  it('draws a live view with violations in red when stdout is a terminal', async () => {
    const s = await serve(0, '--fast');
    // util-linux `script` gives the client a pseudo-terminal of a known size.
    const w = runWatch([ws(s), '--until-end'], (argv) => ['script', '-qec', `stty cols 160 rows 40; ${argv.map((a) => `'${a}'`).join(' ')}`, '/dev/null']);
    expect(await w.exit).toBe(0);
    const screens = w.stdout().split('\x1b[H\x1b[2J');
    const last = screens[screens.length - 1]!;
    const v = judged.filter((j) => j.verdict === 'violation');
    expect(last).toContain(`violations: ${v.length} (newest last)`);
    const deviceRow = new RegExp(`\\x1b\\[31m +\\d+ +\\d+ +${v.filter((j) => j.bdf === PRESERVE).length} +\\d+  ${escape(replayDescription(PRESERVE).slice(0, 40))}`);
    expect(last).toMatch(deviceRow);
    // The newest violation is on screen, in red.
    const newest = v[v.length - 1]!;
    expect(last).toContain(`\x1b[31m#`);
    expect(last).toContain(`${newest.bdf} ${newest.register}`);
    await kill(s);
  }, 60_000);

  it('ends with a coded error for a refused token, a wrong path or a non-websocket URL', async () => {
    const s = await serve(0, '--fast', '--token', 'sesame');
    const ok = runWatch([ws(s), '--token', 'sesame', '--until-end', '--violations-only']);
    expect(await ok.exit).toBe(0);
    expect(findingLines(ok.stdout()).length).toBe(judged.filter((j) => j.verdict === 'violation').length);

    const wrong = runWatch([ws(s), '--token', 'open']);
    expect(await wrong.exit).toBe(65);
    expect(wrong.stderr()).toMatch(/WATCH_TOKEN_REJECTED: .*closed 4401/);
    const none = runWatch([ws(s)]);
    expect(await none.exit).toBe(65);
    expect(none.stderr()).toMatch(/WATCH_TOKEN_REJECTED/);

    const path = runWatch([`${ws(s)}/nope`, '--token', 'sesame']);
    expect(await path.exit).toBe(65);
    expect(path.stderr()).toMatch(/WATCH_BAD_URL: .*HTTP 404/);
    const http = runWatch([s.http]);
    expect(await http.exit).toBe(65);
    expect(http.stderr()).toMatch(/WATCH_BAD_URL: .*not a websocket URL/);
    // `.invalid` never resolves (RFC 2606): not worth retrying, unlike a refused connection.
    const host = runWatch(['ws://cfgscope-test.invalid:7878']);
    expect(await host.exit).toBe(65);
    expect(host.stderr()).toMatch(/WATCH_BAD_URL: .*no such host/);
    expect(none.stdout() + path.stdout() + http.stdout() + host.stdout()).toBe('');
    await kill(s);
  }, 60_000);
});

describe('cfgscope watch on a capture that lost events', () => {
  it('says each loss as it comes and the total at the end', async () => {
    const end = checkJson(BPFTRACE_LOST).find((l) => l.type === 'end') as unknown as { counts: { lostEvents: number } };
    expect(end.counts.lostEvents).toBeGreaterThan(0);
    const s = await startServe(0, ['--fast'], BPFTRACE_LOST);
    running.push(s);
    const w = runWatch([ws(s), '--until-end']);
    expect(await w.exit).toBe(0);
    const losses = [...w.stdout().matchAll(/^# LOST: (\d+) events lost \(bpftrace\) in phase .*: the tracer dropped them/gm)].map((m) => Number(m[1]));
    expect(losses.length).toBeGreaterThan(0);
    expect(losses.reduce((a, b) => a + b, 0)).toBe(end.counts.lostEvents);
    expect(w.stdout()).toMatch(new RegExp(`^# end: .*; ${end.counts.lostEvents} events LOST$`, 'm'));
    await kill(s);
  }, 60_000);
});

describe('cfgscope watch when the server comes back with another stream', () => {
  it('starts over on the new stream instead of resuming into it', async () => {
    const kexec = judgedWrites(checkJson(LAB_KEXEC));
    expect(kexec.length).toBeGreaterThan(0);
    const first = await startServe(0, ['--speed', '2']);
    running.push(first);
    const w = runWatch([ws(first), '--until-end']);
    await w.waitFor(/^#\d+ violation /m);
    await kill(first);
    await w.waitFor(/^# connection closed/m);
    const second = await startServe(first.port, ['--fast'], LAB_KEXEC);
    running.push(second);
    expect(await w.exit).toBe(0);
    const [before, after] = w.stdout().split('# the server now serves another stream: starting over\n');
    expect(after).toBeDefined();
    expect(after).toMatch(/^# connected to .*lab-kexec.* from seq 1$/m);
    expect(findingLines(after!).map(({ seq: _s, ...l }) => l)).toEqual(kexec.map(expected));
    expect(findingLines(before!).length).toBeGreaterThan(0);
    await kill(second);
  }, 60_000);
});
