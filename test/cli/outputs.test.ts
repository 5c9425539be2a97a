// Output never destroys input (issue 12, class 3), on the real CLI: an output that is an input is
// refused before anything is read; a whole output (import -o, report -o) replaces its target only
// once complete, so a failure, a full disk or SIGKILL part-way leaves an existing target as it was;
// a live capture on a full disk ends at a whole record.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
const bin = `${root}bin/cfgscope.js`;
const capture = `${root}replays/qemu-6.1-q35-basic/kernel.capture.ndjson`;
const qemuLog = `${root}test/fixtures/qemu-6.1-q35-basic/qemu-trace.log`;
const recorded = `${root}test/support/recorded-bpftrace.mjs`;

// Each case spawns the real CLI (several, on a loaded machine): generous time, never a timed assertion.
vi.setConfig({ testTimeout: 120_000 });

// Bounded: before the fix, `capture -o <its probe>` emptied the probe and waited for events forever.
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 100_000 });
const fresh = (): string => mkdtempSync(join(tmpdir(), 'cfgscope-out-'));
/** Files the command left in a folder besides the ones named: a temporary must not stay behind. */
const leftovers = (dir: string, known: string[]): string[] => readdirSync(dir).filter((f) => !known.includes(f));
const noStack = (stderr: string): void => expect(stderr).not.toMatch(/\n\s+at /);

describe('an output that is also an input is refused before anything is read (exit 64)', () => {
  const original = readFileSync(capture);
  const setup = (): { dir: string; x: string } => {
    const dir = fresh();
    const x = join(dir, 'x.ndjson');
    writeFileSync(x, original);
    return { dir, x };
  };
  const cases: [string, (d: string, x: string) => string[]][] = [
    ['import x -o x', (_d, x) => ['import', x, '-o', x]],
    ['import x -o ./x (another spelling)', (d, x) => ['import', x, '-o', join(d, '.', '..', d.split('/').pop()!, 'x.ndjson')]],
    ['import x -o a symbolic link to x', (d, x) => { symlinkSync(x, join(d, 'link')); return ['import', x, '-o', join(d, 'link')]; }],
    ['import x -o a hard link of x', (d, x) => { linkSync(x, join(d, 'hard')); return ['import', x, '-o', join(d, 'hard')]; }],
    ['import y --devices x -o x', (_d, x) => ['import', capture, '--devices', x, '-o', x]],
    ['import y --attribute x -o x', (_d, x) => ['import', capture, '--attribute', x, '-o', x]],
    ['report x -o x', (_d, x) => ['report', x, '--policy', 'luo-default', '-o', x]],
    ['report y --policy x -o x', (d, _x) => { const p = join(d, 'p.json'); writeFileSync(p, '{"version":1,"rules":[]}'); return ['report', capture, '--policy', p, '-o', p]; }],
  ];
  for (const [name, args] of cases) {
    it(name, () => {
      const { dir, x } = setup();
      const a = args(dir, x);
      const target = a[a.indexOf('-o') + 1]!;
      const before = readFileSync(target);
      const r = run(...a);
      expect(r.status).toBe(64);
      expect(r.stderr).toContain(`${target}: OUTPUT_IS_INPUT:`);
      noStack(r.stderr);
      expect(readFileSync(target)).toEqual(before);
      expect(readFileSync(x)).toEqual(original);
      expect(leftovers(dir, ['x.ndjson', 'link', 'hard', 'p.json'])).toEqual([]);
    });
  }

  it('capture -o <its own probe or policy>', () => {
    const dir = fresh();
    const probe = join(dir, 'probe.txt');
    writeFileSync(probe, readFileSync(`${root}test/fixtures/bpftrace/probe-phases.txt`));
    const before = readFileSync(probe);
    const r = run('capture', '-o', probe, '--no-preflight', '--bpftrace', recorded, '--probe', probe);
    expect(r.status).toBe(64);
    expect(r.stderr).toContain(`${probe}: OUTPUT_IS_INPUT:`);
    expect(readFileSync(probe)).toEqual(before);
  });
});

describe('a whole output replaces its target only when complete', () => {
  it('import over an existing file: replaced, same mode, no temporary left', () => {
    const dir = fresh();
    const out = join(dir, 'out.ndjson');
    writeFileSync(out, 'old\n');
    chmodSync(out, 0o640);
    const r = run('import', capture, '-o', out);
    expect(r.status).toBe(0);
    expect(readFileSync(out)).toEqual(readFileSync(capture)); // a capture re-imported is the same bytes
    expect(statSync(out).mode & 0o777).toBe(0o640);
    expect(leftovers(dir, ['out.ndjson'])).toEqual([]);
  });

  it('import -o a symbolic link writes the file it points to and keeps the link', () => {
    const dir = fresh();
    mkdirSync(join(dir, 'real'));
    writeFileSync(join(dir, 'real', 'c.ndjson'), 'old\n');
    symlinkSync(join(dir, 'real', 'c.ndjson'), join(dir, 'link.ndjson'));
    expect(run('import', capture, '-o', join(dir, 'link.ndjson')).status).toBe(0);
    expect(readFileSync(join(dir, 'real', 'c.ndjson'))).toEqual(readFileSync(capture));
    expect(leftovers(join(dir, 'real'), ['c.ndjson'])).toEqual([]);
  });

  it('a failed import (its input is bad) leaves the existing target as it was', () => {
    const dir = fresh();
    const out = join(dir, 'out.ndjson');
    writeFileSync(out, 'precious\n');
    // The input fails once the output is open (a packed reader on an NDJSON file): the old code
    // closed the output with a trailer, replacing the file with a few bytes.
    const r = run('import', capture, '-o', out, '--input-format', 'packed');
    expect(r.status).toBe(65);
    expect(r.stderr).toContain('PACKED_BAD_MAGIC');
    expect(readFileSync(out, 'utf8')).toBe('precious\n');
    const r2 = run('import', join(dir, 'missing.ndjson'), '-o', out);
    expect(r2.status).toBe(65);
    expect(r2.stderr).toContain('INPUT_UNREADABLE');
    expect(readFileSync(out, 'utf8')).toBe('precious\n');
    expect(leftovers(dir, ['out.ndjson'])).toEqual([]);
  });

  it('SIGKILL in the middle of a large import leaves the old target intact', async () => {
    const dir = fresh();
    const big = join(dir, 'big.log');
    writeFileSync(big, readFileSync(qemuLog, 'utf8').repeat(200)); // ~30 MB of a real QEMU log
    const out = join(dir, 'out.ndjson');
    const old = readFileSync(capture);
    writeFileSync(out, old);
    const child = spawn(process.execPath, [bin, 'import', big, '-o', out], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, s) => r(s)));
    // Killed once the import has written a good part of its output (the temporary grows), not after a guessed delay.
    const temp = (): string | undefined => readdirSync(dir).find((f) => f.startsWith('.out.ndjson.tmp-'));
    for (let i = 0; i < 2000; i++) {
      const t = temp();
      if (t && statSync(join(dir, t)).size > 2 << 20) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(temp()).toBeDefined();
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(readFileSync(out)).toEqual(old);
  }, 60_000);
});

describe('a full disk (a 64 KiB tmpfs)', () => {
  // Mounting needs root (CAP_SYS_ADMIN); elsewhere these tests are skipped with that reason.
  const mounts: string[] = [];
  /** A fresh 64 KiB file system per test: what one test leaves does not fill the next one's. */
  const tiny = (): string | null => {
    const mnt = join(fresh(), 'full');
    mkdirSync(mnt);
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]).status !== 0) return null;
    mounts.push(mnt);
    return mnt;
  };
  const probe = tiny();
  const mounted = probe !== null;
  if (!mounted) console.warn('skipped: the full-disk tests need to mount a tmpfs (root)');
  afterAll(() => { for (const m of mounts) spawnSync('umount', [m]); });

  it.skipIf(!mounted)('import: OUTPUT_WRITE_FAILED naming the path, exit 65, the old file unchanged, no temporary left', () => {
    const mnt = tiny()!;
    const out = join(mnt, 'out.ndjson');
    writeFileSync(out, 'old capture\n');
    const r = run('import', capture, '-o', out); // 380 KB into 64 KiB
    expect(r.status).toBe(65);
    expect(r.stderr).toContain(`${out}: OUTPUT_WRITE_FAILED: writing failed: no space left on the device (ENOSPC)`);
    noStack(r.stderr);
    expect(readFileSync(out, 'utf8')).toBe('old capture\n');
    expect(leftovers(mnt, ['out.ndjson'])).toEqual([]);
  });

  it.skipIf(!mounted)('report -o: the same', () => {
    const mnt = tiny()!;
    const out = join(mnt, 'report.md');
    writeFileSync(out, 'old report\n');
    const fill = join(mnt, 'fill');
    writeFileSync(fill, Buffer.alloc(56 << 10)); // leaves less room than the report needs
    const r = run('report', capture, '--policy', 'luo-strict', '--preserve', '0000:00:02.0', '--preserve', '0000:01:00.0', '-o', out);
    expect(r.status).toBe(65);
    expect(r.stderr).toContain(`${out}: OUTPUT_WRITE_FAILED:`);
    expect(readFileSync(out, 'utf8')).toBe('old report\n');
    expect(leftovers(mnt, ['report.md', 'fill'])).toEqual([]);
  });

  it.skipIf(!mounted)('capture -o (written live): exit 65, the file ends at a whole record and replays', () => {
    const mnt = tiny()!;
    const out = join(mnt, 'live.ndjson');
    const r = run('capture', '-o', out, '--no-preflight', '--bpftrace', recorded, '--probe', `${root}test/fixtures/bpftrace/probe-phases.txt`);
    expect(r.status).toBe(65);
    expect(r.stderr).toContain(`${out}: OUTPUT_WRITE_FAILED: writing failed: no space left on the device (ENOSPC)`);
    noStack(r.stderr);
    const text = readFileSync(out, 'utf8');
    expect(text.length).toBeGreaterThan(0); // at least the header, flushed before the disk filled
    expect(text.endsWith('\n')).toBe(true);
    for (const line of text.trimEnd().split('\n')) expect(() => JSON.parse(line) as unknown).not.toThrow();
    // No trailer: its counts would claim records the disk did not take.
    expect(text).not.toContain('"t":"trailer"');
    const replay = run('replay', out);
    expect(replay.status).toBe(0);
    expect(replay.stderr).toContain('INCOMPLETE capture: it has no trailer');
    expect(existsSync(out)).toBe(true);
  });
});
