// diff and boots: a console log of two kernels that label their phases alike (the same trace
// dumped twice, as test/parsers/ftrace.test.ts builds it from the real q35 boot) against the log
// of the first kernel alone. Kernel 2's accesses must appear under kernel 2's own phases, never as
// changed counts or values of kernel 1's phases of the same name.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
const SERIAL = `${root}test/fixtures/qemu-6.1-q35-basic/serial.log`;

function diff(...args: string[]): { code: number | null; stdout: string } {
  const r = spawnSync(process.execPath, [`${root}bin/cfgscope.js`, 'diff', ...args, '--json'], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout };
}

describe('diff of a two-kernel log against its first kernel', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfgscope-diff-boots-'));
  const lines = readFileSync(SERIAL, 'utf8').split('\n');
  const begin = lines.findIndex((l) => l.startsWith('=====BEGIN TRACE'));
  const end = lines.findIndex((l) => l.startsWith('=====END TRACE'));
  const one = join(dir, 'one.log');
  const two = join(dir, 'two.log');
  writeFileSync(one, lines.slice(0, end + 1).join('\n'));
  writeFileSync(two, [...lines.slice(0, end + 1), '[init] kexec', ...lines.slice(begin, end + 1)].join('\n'));

  it('shows kernel 2\'s accesses as appeared in kernel 2\'s phases, nothing changed in kernel 1\'s', () => {
    const r = diff(one, two);
    expect(r.code).toBe(1);
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; change?: string; phase?: string });
    const changes = out.filter((l) => l.kind !== 'diff-totals');
    expect(changes.length).toBeGreaterThan(0);
    expect(changes.filter((c) => c.change !== 'appeared')).toEqual([]);
    expect(changes.filter((c) => !c.phase!.startsWith('kernel 2 (after kexec): '))).toEqual([]);
  });

  it('--boot 1 --boot 2 between the two kernels of the log: the same call sites and registers, only old values differ', () => {
    const r = diff(two, two, '--boot', '1', '--boot', '2');
    expect(r.code).toBe(1);
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const totals = out.find((l) => l['kind'] === 'diff-totals')!;
    expect(totals).toMatchObject({ sitesVanished: 0, sitesAppeared: 0, writesVanished: 0, writesAppeared: 0 });
    // Kernel 2 finds what kernel 1 left, not the firmware's values: known old values where kernel 1
    // saw none, and (no handover in the log) each marked as possibly changed since (`?`).
    expect(Number(totals['writesChanged'])).toBeGreaterThan(0);
  });
});
