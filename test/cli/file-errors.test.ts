// Errors that escaped as stack traces (issue 12, class 7), on the real CLI: every command's file
// opening paths given a read-only folder, a missing folder, a directory, a dangling symbolic link.
// Each must end with one coded line naming the path and exit 65, never a stack trace.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

vi.setConfig({ testTimeout: 120_000 });

const root = new URL('../../', import.meta.url).pathname;
const bin = `${root}bin/cfgscope.js`;
const capture = `${root}replays/qemu-6.1-q35-basic/kernel.capture.ndjson`;
const dir = mkdtempSync(join(tmpdir(), 'cfgscope-ferr-'));
const folder = join(dir, 'a-folder');
mkdirSync(folder);
const dangling = join(dir, 'dangling');
symlinkSync(join(dir, 'nowhere', 'vmlinux'), dangling);
const missing = join(dir, 'no-such-folder', 'out.ndjson');
// A modules folder with a dangling .ko link (a module that cannot be read) ...
const mods = join(dir, 'mods');
mkdirSync(join(mods, 'kernel'), { recursive: true });
symlinkSync(join(dir, 'nowhere', 'e1000e.ko'), join(mods, 'kernel', 'e1000e.ko'));
// ... and one whose only dangling link is /lib/modules' usual `build` link: not a module, not an error.
const modsBuild = join(dir, 'mods-build');
mkdirSync(modsBuild);
symlinkSync(join(dir, 'nowhere', 'headers'), join(modsBuild, 'build'));
// A folder the CLI may not write to (root ignores permissions, so a read-only bind of a folder).
const ro = join(dir, 'read-only');
mkdirSync(ro);
const roMounted = spawnSync('mount', ['--bind', '-o', 'ro', folder, ro]).status === 0
  && spawnSync('mount', ['-o', 'remount,bind,ro', ro]).status === 0;
if (!roMounted) console.warn('skipped: the read-only folder case needs a read-only bind mount (root)');
afterAll(() => { if (roMounted) spawnSync('umount', [ro]); });

// Bounded: a command that would wait (serve listening) instead of failing is a failure, not a hang.
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 100_000 });

interface Case { name: string; args: string[]; code: string; path: string; skip?: boolean }
const cases: Case[] = [
  // outputs
  { name: 'import -o into a missing folder', args: ['import', capture, '-o', missing], code: 'OUTPUT_UNWRITABLE', path: missing },
  { name: 'import -o a directory', args: ['import', capture, '-o', folder], code: 'OUTPUT_UNWRITABLE', path: folder },
  { name: 'import -o a dangling link', args: ['import', capture, '-o', dangling], code: 'OUTPUT_UNWRITABLE', path: dangling },
  { name: 'import -o into a read-only folder', args: ['import', capture, '-o', join(ro, 'out.ndjson')], code: 'OUTPUT_UNWRITABLE', path: join(ro, 'out.ndjson'), skip: !roMounted },
  { name: 'report -o into a missing folder', args: ['report', capture, '-p', 'luo-default', '-o', missing], code: 'OUTPUT_UNWRITABLE', path: missing },
  { name: 'report -o a directory', args: ['report', capture, '-p', 'luo-default', '--format', 'junit', '-o', folder], code: 'OUTPUT_UNWRITABLE', path: folder },
  { name: 'report -o into a read-only folder', args: ['report', capture, '-p', 'luo-default', '-o', join(ro, 'r.md')], code: 'OUTPUT_UNWRITABLE', path: join(ro, 'r.md'), skip: !roMounted },
  { name: 'capture -o a directory', args: ['capture', '-o', folder, '--no-preflight', '--bpftrace', `${root}test/support/recorded-bpftrace.mjs`, '--probe', `${root}test/fixtures/bpftrace/probe-phases.txt`], code: 'OUTPUT_UNWRITABLE', path: folder },
  { name: 'capture -o into a missing folder', args: ['capture', '-o', missing, '--no-preflight', '--bpftrace', `${root}test/support/recorded-bpftrace.mjs`, '--probe', `${root}test/fixtures/bpftrace/probe-phases.txt`], code: 'OUTPUT_UNWRITABLE', path: missing },
  // inputs that are directories
  { name: 'import <a directory>', args: ['import', folder, '-o', join(dir, 'o1.ndjson')], code: 'INPUT_UNREADABLE', path: folder },
  { name: 'import <a directory> --input-format capture', args: ['import', folder, '--input-format', 'capture', '-o', join(dir, 'o2.ndjson')], code: 'INPUT_UNREADABLE', path: folder },
  { name: 'import --devices <a directory>', args: ['import', capture, '--devices', folder, '-o', join(dir, 'o3.ndjson')], code: 'INPUT_UNREADABLE', path: folder },
  { name: 'import --attribute <a directory>', args: ['import', capture, '--attribute', folder, '-o', join(dir, 'o4.ndjson')], code: 'INPUT_UNREADABLE', path: folder },
  { name: 'replay <a directory>', args: ['replay', folder], code: 'INPUT_UNREADABLE', path: folder },
  { name: 'check <a directory>', args: ['check', folder, '-p', 'luo-default'], code: 'INPUT_UNREADABLE', path: folder },
  { name: 'check <a directory> --input-format capture', args: ['check', folder, '-p', 'luo-default', '--input-format', 'capture'], code: 'INPUT_UNREADABLE', path: folder },
  { name: 'report <a directory>', args: ['report', folder, '-p', 'luo-default'], code: 'INPUT_UNREADABLE', path: folder },
  { name: 'diff <capture> <a directory>', args: ['diff', capture, folder], code: 'INPUT_UNREADABLE', path: folder },
  { name: 'crosscheck <capture> <a directory>', args: ['crosscheck', capture, folder], code: 'INPUT_UNREADABLE', path: folder },
  { name: 'serve <a directory>', args: ['serve', folder, '--listen', '127.0.0.1:0'], code: 'INPUT_UNREADABLE', path: folder },
  { name: 'boot-args --kernel <a directory>', args: ['boot-args', '--kernel', folder], code: 'INPUT_NOT_A_FILE', path: folder },
  { name: 'check --policy <a directory>', args: ['check', capture, '-p', folder], code: 'POLICY_INVALID', path: folder },
  // symbols
  { name: 'check --vmlinux <a dangling link>', args: ['check', capture, '-p', 'luo-default', '--vmlinux', dangling], code: 'SYMBOLS_FILE_UNREADABLE', path: dangling },
  { name: 'check --vmlinux <a directory>', args: ['check', capture, '-p', 'luo-default', '--vmlinux', folder], code: 'SYMBOLS_FILE_UNREADABLE', path: folder },
  { name: 'report --modules <a dangling link>', args: ['report', capture, '-p', 'luo-default', '--modules', dangling], code: 'SYMBOLS_FILE_UNREADABLE', path: dangling },
  { name: 'diff --modules <a folder with a dangling .ko link>', args: ['diff', capture, capture, '--modules', mods], code: 'SYMBOLS_FILE_UNREADABLE', path: join(mods, 'kernel', 'e1000e.ko') },
  { name: 'check --modules <a folder whose only dangling link is `build`>', args: ['check', capture, '-p', 'luo-default', '--modules', modsBuild], code: 'SYMBOLS_NOTHING', path: modsBuild },
];

describe('file errors are one coded line naming the path, exit 65', () => {
  for (const c of cases) {
    it.skipIf(c.skip ?? false)(c.name, () => {
      const r = run(...c.args);
      expect(r.stderr).toContain(`${c.path}`);
      expect(r.stderr).toContain(`${c.code}:`);
      expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
      expect(r.status).toBe(65);
    });
  }

  it('no output folder was left with a temporary file', () => {
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(readdirSync(folder)).toEqual([]);
  });
});

describe('standard output that cannot be written', () => {
  for (const args of [['replay', capture], ['check', capture, '-p', 'luo-default'], ['diff', capture, `${root}replays/lab-kexec/kernel.capture.ndjson`]]) {
    it(`${args[0]} > /dev/full: OUTPUT_WRITE_FAILED, exit 65`, () => {
      const r = spawnSync('sh', ['-c', `"${process.execPath}" "${bin}" ${args.map((a) => `"${a}"`).join(' ')} > /dev/full`], { encoding: 'utf8' });
      expect(r.stderr).toContain('standard output: OUTPUT_WRITE_FAILED: writing failed: no space left on the device (ENOSPC)');
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.status).toBe(65);
    });
  }

  it('replay | head -1: the reader going away is not an error (exit 0, nothing on stderr)', () => {
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${bin}" replay "${capture}" | head -1; exit \${PIPESTATUS[0]}`], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`cfgscope replay ${capture}\n`);
    expect(r.stderr).toBe('');
  });
});
