// Inputs that must be small are read with limits, from regular files only, through the real CLI
// (child processes: a read that never ends fails on the timeout, not by hanging the suite):
// `extends: "/dev/zero"` and `boot-args --kernel /dev/zero` read for ever before; a policy of
// 5,000 `*` rules is checked in a capped heap (its timing is in the commit, not asserted here).
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from '../support/serve-process.js';

const SRIOV = new URL('../../replays/lab-sriov/kernel.capture.ndjson', import.meta.url).pathname;
const HOST_BTF = '/sys/kernel/btf/vmlinux';
const dir = mkdtempSync(join(tmpdir(), 'cfgscope-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[], heapMb = 512): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [`--max-old-space-size=${heapMb}`, BIN, ...args], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const policy = (name: string, doc: unknown): string => {
  const f = join(dir, name);
  writeFileSync(f, JSON.stringify(doc));
  return f;
};
/** A sparse file of `size` bytes that starts with `head`: big on paper, nothing on disk. */
function sparse(name: string, head: Buffer, size: number): string {
  const f = join(dir, name);
  const fd = openSync(f, 'w');
  writeSync(fd, head);
  ftruncateSync(fd, size);
  closeSync(fd);
  return f;
}

describe('policy limits', () => {
  it('refuses to extend /dev/zero, with the JSON path of the extends entry', () => {
    const p = policy('zero.json', { 'cfgscope-policy': 1, extends: ['luo-default', '/dev/zero'] });
    const r = cli(['check', '--policy', p, SRIOV]);
    expect(r.status).toBe(65);
    expect(r.stderr).toContain(`${p}: $.extends[1]: POLICY_NOT_A_FILE: "/dev/zero" is not a regular file`);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('refuses a policy given as a directory', () => {
    const r = cli(['check', '--policy', dir, SRIOV]);
    expect(r.status).toBe(65);
    expect(r.stderr).toMatch(/POLICY_NOT_A_FILE/);
  });

  it('does not read a policy file over 1 MiB', () => {
    const big = sparse('big.json', Buffer.from('{"cfgscope-policy":1,"name":"'), 64 << 20);
    const r = cli(['check', '--policy', big, SRIOV]);
    expect(r.status).toBe(65);
    expect(r.stderr).toContain(`${big}: $: POLICY_TOO_LARGE`);
  });

  it('refuses more than 10,000 rules in one file, at the first one past the limit', () => {
    const rules = Array.from({ length: 10_001 }, (_, i) => ({ id: `r${i}`, kind: 'deny', register: '*', why: 'generated' }));
    const p = policy('many.json', { 'cfgscope-policy': 1, rules });
    const r = cli(['check', '--policy', p, SRIOV]);
    expect(r.status).toBe(65);
    expect(r.stderr).toContain(`${p}: $.rules[10000]: POLICY_TOO_MANY_RULES: 10001 rules, over the limit of 10000 per file`);
  });

  it('checks a real capture against 5,000 `*` rules in a 256 MB heap, each rule judging each write', () => {
    // Allow rules on `*` for any device: every known write is an expected write of every rule
    // (the case that was quadratic per write), and the counts say each was judged.
    const rules = Array.from({ length: 5000 }, (_, i) => ({ id: `w${i}`, kind: 'allow', register: '*', appliesTo: 'any', why: `generated ${i}` }));
    const p = policy('wild.json', { 'cfgscope-policy': 1, name: 'wild', rules });
    const r = cli(['check', '--policy', p, SRIOV], 256);
    expect(r.stderr).not.toMatch(/heap out of memory|at .*\.js:\d+/);
    expect(r.status).toBe(0);
    const writes = readFileSync(SRIOV, 'utf8').split('\n').filter((l) => l.includes('"t":"access"') && l.includes('"op":"w"') && l.includes('"known":true')).length;
    expect(r.stdout).toMatch(new RegExp(`^0 violations, ${writes * 5000} expected writes; 0 of ${writes} known writes hit protected devices`, 'm'));
  }, 120_000);
});

describe('boot-args --kernel limits', () => {
  it('refuses /dev/zero and a directory instead of reading for ever', () => {
    for (const k of ['/dev/zero', dir]) {
      const r = cli(['boot-args', '--kernel', k]);
      expect(r.status).toBe(65);
      expect(r.stderr).toMatch(new RegExp(`^cfgscope: ${k}: INPUT_NOT_A_FILE: not a regular file`, 'm'));
    }
  });

  it('refuses raw BTF over 64 MiB without reading it', () => {
    const head = readFileSync(HOST_BTF).subarray(0, 64);
    const r = cli(['boot-args', '--kernel', sparse('huge.btf', head, 1 << 30)]);
    expect(r.status).toBe(65);
    expect(r.stderr).toMatch(/INPUT_TOO_LARGE: raw BTF of 1073741824 bytes is over the limit of 67108864 bytes/);
  });

  it('reads only the .BTF section of a vmlinux, and refuses one that declares it huge', () => {
    // A real ELF executable carrying this kernel's real BTF as its .BTF section, as a vmlinux does.
    const elf = join(dir, 'vmlinux-like');
    execFileSync('objcopy', ['--add-section', `.BTF=${HOST_BTF}`, process.execPath, elf]);
    const ok = cli(['boot-args', '--kernel', elf]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^trace_clock=global /);
    // The same file with the .BTF section header's size set to 1 TiB.
    const buf = readFileSync(elf);
    const shoff = Number(buf.readBigUInt64LE(0x28));
    const shnum = buf.readUInt16LE(0x3c);
    const names = shoff + buf.readUInt16LE(0x3e) * 64;
    const strtab = Number(buf.readBigUInt64LE(names + 0x18));
    for (let i = 0; i < shnum; i++) {
      const h = shoff + i * 64;
      const at = strtab + buf.readUInt32LE(h);
      if (buf.toString('latin1', at, buf.indexOf(0, at)) === '.BTF') buf.writeBigUInt64LE(1n << 40n, h + 0x20);
    }
    const forged = join(dir, 'vmlinux-forged');
    writeFileSync(forged, buf);
    const r = cli(['boot-args', '--kernel', forged]);
    expect(r.status).toBe(65);
    expect(r.stderr).toMatch(/INPUT_TOO_LARGE: the .BTF section of 1099511627776 bytes is over the limit/);
  });
});
