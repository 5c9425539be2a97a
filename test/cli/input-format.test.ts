// `--format` is the output format in every command; the input format is `--input-format`.
// import, replay, check, diff and serve took the input format as `--format`/`-f`: the old
// spelling is a usage error (exit 64, OPTION_RENAMED) naming the new option, never a silent
// different meaning, and nothing is read or written.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './run-cli.js';

const root = new URL('../../', import.meta.url).pathname;
const bin = `${root}bin/cfgscope.js`;
const capture = `${root}replays/qemu-6.1-q35-basic/kernel.capture.ndjson`;
const other = `${root}replays/lab-kexec/kernel.capture.ndjson`;
const out = (): string => join(mkdtempSync(join(tmpdir(), 'cfgscope-inputfmt-')), 'out.cfgcap');

/** Each command that read its input format from --format, with the rest of a command line that works. */
const commands: { name: string; args: (extra: string[]) => string[] }[] = [
  { name: 'import', args: (x) => ['import', capture, '-o', out(), ...x] },
  { name: 'replay', args: (x) => ['replay', '--json', capture, ...x] },
  { name: 'check', args: (x) => ['check', '--policy', 'luo-default', capture, ...x] },
  { name: 'diff', args: (x) => ['diff', capture, capture, ...x] },
  { name: 'serve', args: (x) => ['serve', capture, '--listen', '127.0.0.1:0', ...x] },
];

describe('the old input --format', () => {
  for (const c of commands) {
    for (const flag of ['--format', '-f']) {
      it(`${c.name} ${flag} capture: exit 64, OPTION_RENAMED, names --input-format capture`, async () => {
        const args = c.args([flag, 'capture']);
        const r = await runCli(...args);
        expect(r.code).toBe(64);
        expect(r.stdout).toBe('');
        expect(r.stderr).toBe(`cfgscope: OPTION_RENAMED: ${c.name} --format capture: --format (-f) names the output format in every command`
          + `${c.name === 'serve' ? ', and serve has none to choose' : ''}${{ import: ' (import: the capture\'s encoding is --encoding ndjson|packed)', serve: '' }[c.name] ?? ` (${c.name}: --json for NDJSON)`}; `
          + 'the input format is --input-format capture\n');
        if (c.name === 'import') expect(existsSync(args[3]!)).toBe(false);
      });
    }
  }

  it('a value that is no input format still names the option, with the formats', async () => {
    const r = await runCli('check', '--policy', 'luo-default', capture, '--format', 'json');
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('OPTION_RENAMED: check --format json: ');
    expect(r.stderr).toContain('(check: --json for NDJSON); the input format is --input-format <kind> (packed, capture, bpftrace, qemu, ftrace)\n');
  });

  it('report --format with an input format: usage error that points at --input-format', async () => {
    const r = await runCli('report', '--policy', 'luo-default', capture, '--format', 'capture');
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('one of markdown, email, junit; "capture" is an input format: --input-format capture');
  });

  it('the built CLI exits 64 with the message on standard error', () => {
    const r = spawnSync(process.execPath, [bin, 'replay', '-f', 'qemu', capture], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toContain('cfgscope: OPTION_RENAMED: replay --format qemu: ');
    expect(r.stderr).toContain('the input format is --input-format qemu\n');
    expect(r.status).toBe(64);
  });
});

describe('--input-format', () => {
  it('forces the format in import, replay, check, report and diff (a capture read as packed fails: it was used)', async () => {
    for (const args of [
      ['import', capture, '-o', out()], ['replay', capture], ['check', '--policy', 'luo-default', capture],
      ['report', '--policy', 'luo-default', capture], ['diff', capture, other],
    ]) {
      const r = await runCli(...args, '--input-format', 'packed');
      expect({ args, code: r.code }).toEqual({ args, code: 65 });
      expect(r.stderr).toContain('PACKED_BAD_MAGIC');
      const ok = await runCli(...args, '--input-format', 'capture');
      expect({ args, code: ok.code }).toEqual({ args, code: args[0] === 'diff' ? 1 : 0 });
    }
  });

  it('an unknown kind is a usage error (64, UNKNOWN_FORMAT) before anything is read', async () => {
    for (const cmd of [['replay', capture], ['serve', capture, '--listen', '127.0.0.1:0'], ['report', '--policy', 'luo-default', capture]]) {
      const r = await runCli(...cmd, '--input-format', 'pcap');
      expect(r.code).toBe(64);
      expect(r.stderr).toContain("option '--input-format <kind>' argument 'pcap' is invalid. UNKNOWN_FORMAT: not an input format; one of packed, capture, bpftrace, qemu, ftrace");
    }
  });
});
