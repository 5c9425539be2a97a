// Control characters and Markdown from the input never reach a terminal or a report's structure.
// The real q35 capture is mutated the way a hostile or broken tracer could: a phase label with a
// screen-clearing escape and a newline followed by a forged VIOLATION line, a call-site frame with
// an OSC title sequence, a BEL and Markdown (backticks, pipes, an HTML tag), a driver name with a
// C1 CSI and a CR; a policy's `why` with ESC and a forged line. Every text sink is run by the real
// CLI on it (check, replay, report markdown/email, diff, crosscheck, watch against a real serve):
// nothing but the sink's own newlines (and watch's own colours on a terminal) is a control
// character, no line is forged, and the text is still there, escaped (`\x1b`).
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { markdownCode, markdownText, printable } from '../../src/model/escape-text.js';
import { kill, startServe, type ServeProcess } from '../support/serve-process.js';
import { runWatch } from '../watch/watch-process.js';

const root = new URL('../../', import.meta.url).pathname;
const bin = `${root}bin/cfgscope.js`;
const dir = mkdtempSync(join(tmpdir(), 'cfgscope-escaping-'));
const ORIGINAL = `${root}replays/qemu-6.1-q35-basic/kernel.capture.ndjson`;
const DEVICE_SIDE = `${root}replays/qemu-6.1-q35-basic/device.capture.ndjson`;

const FORGED = 'VIOLATION error    forged';
const LABEL = `PHASE[2] insmod nvme\x1b[2J\n    ${FORGED}: COMMAND  0x0000 -> 0xffff <script>alert(1)</script> | x |`;
const FRAME = '__pci_read_base\x1b]0;pwned\x07`|<b>x</b>';
const DRIVER = 'nvme\u009b31m\rok';
const WHY = `test rule\x1b[5m\n${FORGED}: BAR\u2028end`;

/** The real capture with the phase label, the call-site frame of BAR sizing and the NVMe's driver replaced. */
function craftCapture(): string {
  const out = ORIGINAL.replace(/.*\//, `${dir}/crafted-`);
  const lines = readFileSync(ORIGINAL, 'utf8').trimEnd().split('\n').map((l) => {
    const r = JSON.parse(l) as Record<string, unknown>;
    if (r.t === 'phase' && r.label === 'PHASE[2] insmod nvme') r.label = LABEL;
    if (r.t === 'stack' && r.id === 4) (r.frames as string[])[1] = FRAME;
    if (r.t === 'device' && r.bdf === '0000:02:00.0') r.driver = DRIVER;
    return JSON.stringify(r);
  });
  writeFileSync(out, `${lines.join('\n')}\n`);
  return out;
}

const CAPTURE = craftCapture();
const POLICY = join(dir, 'why.json');
writeFileSync(POLICY, JSON.stringify({
  'cfgscope-policy': 1, name: 'why', preserved: [{ bdf: '0000:02:00.0' }],
  rules: [{ id: 'why-master', kind: 'preserve', register: 'COMMAND', field: 'MASTER', appliesTo: 'any', severity: 'warning', why: WHY }],
}));

const run = (...args: string[]): string => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  expect(r.status === 0 || r.status === 1, r.stderr).toBe(true);
  return r.stdout + r.stderr;
};

/** What every text output must hold to: no control character but newline, no forged line, the input still shown escaped. */
function expectInert(out: string, shows: string[] = ['\\x1b']): void {
  expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/);
  expect(out).not.toMatch(new RegExp(`^\\s*${FORGED}`, 'm'));
  for (const s of shows) expect(out).toContain(s);
}

describe('text sinks print input text escaped', () => {
  it('check (text): phase label, call site, driver and a policy why', () => {
    const out = run('check', CAPTURE, '--policy', 'luo-default', '--policy', POLICY, '--expected');
    expectInert(out, ['PHASE[2] insmod nvme\\x1b[2J\\n    VIOLATION error    forged', '__pci_read_base\\x1b]0;pwned\\x07', '(nvme\\x9b31m\\rok)', 'test rule\\x1b[5m\\nVIOLATION error    forged: BAR\\u2028end']);
  });

  it('replay (text)', () => {
    expectInert(run('replay', CAPTURE), ['== PHASE[2] insmod nvme\\x1b[2J\\n', '__pci_read_base\\x1b]0;pwned\\x07']);
  });

  it('report --format email: plain, at most 72 columns', () => {
    const out = run('report', CAPTURE, '--policy', 'luo-default', '--policy', POLICY, '--format', 'email');
    expectInert(out, ['\\x1b[2J', 'pwned\\x07']);
    for (const l of out.split('\n')) expect(l.length).toBeLessThanOrEqual(72);
  });

  it('report --format markdown: capture text cannot add rows, cells, tags, links or code', () => {
    const out = run('report', CAPTURE, '--policy', 'luo-default', '--policy', POLICY, '--format', 'markdown');
    expectInert(out);
    expect(out).not.toMatch(/(?<!\\)<script>/); // an HTML tag only inside a code span (the call site below)
    // Every table row has as many unescaped pipes as its header.
    for (const table of out.split('\n\n').filter((b) => b.startsWith('| '))) {
      const rows = table.split('\n').filter(Boolean);
      const pipes = (r: string): number => (r.match(/(?<!\\)\|/g) ?? []).length;
      for (const r of rows) expect(pipes(r), r).toBe(pipes(rows[0]!));
    }
    // The call site stays one code span (fenced past its backtick), its heading one line.
    expect(out).toContain('### ``__pci_read_base\\x1b]0;pwned\\x07`|<b>x</b>`` <- `pci_read_bases`');
    // In prose the escape's own backslash is escaped too, so the rendered page shows `\x1b`.
    expect(out).toContain('| PHASE\\[2\\] insmod nvme\\\\x1b\\[2J\\\\n    VIOLATION error    forged: COMMAND  0x0000 -> 0xffff \\<script>alert(1)\\</script> \\| x \\| |');
  });

  it('diff (text)', () => {
    expectInert(run('diff', ORIGINAL, CAPTURE), ['PHASE[2] insmod nvme\\x1b[2J\\n']);
  });

  it('crosscheck (text)', () => {
    expectInert(run('crosscheck', CAPTURE, DEVICE_SIDE), ['PHASE[2] insmod nvme\\x1b[2J\\n']);
  });
});

describe('watch prints what the server sends escaped', () => {
  const running: ServeProcess[] = [];
  afterAll(async () => { for (const s of running) await kill(s); });

  it('plain output: a phase label and a policy why cannot forge a finding line', async () => {
    const s = await startServe(0, ['--fast', '--policy', POLICY], CAPTURE);
    running.push(s);
    const w = runWatch([s.http.replace(/^http/, 'ws'), '--until-end']);
    expect(await w.exit).toBe(0);
    expectInert(w.stdout() + w.stderr(), ['# phase PHASE[2] insmod nvme\\x1b[2J\\n', 'test rule\\x1b[5m\\nVIOLATION']);
  }, 60_000);

  it('live view on a terminal: only the view\'s own escapes reach it', async () => {
    const s = await startServe(0, ['--fast', '--policy', POLICY], CAPTURE);
    running.push(s);
    // util-linux `script` gives the client a pseudo-terminal (which turns \n into \r\n).
    const w = runWatch([s.http.replace(/^http/, 'ws'), '--until-end'], (argv) => ['script', '-qec', `stty cols 200 rows 60; ${argv.map((a) => `'${a}'`).join(' ')}`, '/dev/null']);
    expect(await w.exit).toBe(0);
    const own = /\x1b\[(?:\d+m|H|2J|\?25[lh])/g; // colours, home, clear, cursor on/off (src/watch/tty-view.ts)
    const rest = w.stdout().replace(own, '').replace(/\r\n/g, '\n');
    expectInert(rest, ['(nvme\\x9b31m\\rok)']); // the preserved NVMe's driver, in the device table
  }, 60_000);
});

describe('the escaping functions', () => {
  it('printable leaves ordinary text alone and escapes every control character', () => {
    expect(printable('pci_setup_device.cold+0x1a/0x40 [nvme] é €')).toBe('pci_setup_device.cold+0x1a/0x40 [nvme] é €');
    expect(printable('a\nb\tc\rd\x00\x1b\x7f\u0085\u009b\u2028\u202e')).toBe('a\\nb\\tc\\rd\\x00\\x1b\\x7f\\x85\\x9b\\u2028\\u202e');
  });

  it('markdownText escapes structure, keeps words with inner underscores as they are', () => {
    expect(markdownText('pci_read_bases')).toBe('pci_read_bases');
    expect(markdownText('__pci_read_base')).toBe('\\_\\_pci_read_base');
    expect(markdownText('# [x](y) <i> `c` *e* ~s~ a\\b')).toBe('\\# \\[x\\](y) \\<i> \\`c\\` \\*e\\* \\~s\\~ a\\\\b');
    expect(markdownText('1. item')).toBe('\\1. item');
  });

  it('markdownCode fences past the longest backtick run', () => {
    expect(markdownCode('f')).toBe('`f`');
    expect(markdownCode('a``b')).toBe('```a``b```');
    expect(markdownCode('`x')).toBe('`` `x ``');
  });
});
