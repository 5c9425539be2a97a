// A capture naming 30,000 distinct devices with a few accesses each (many-devices-capture.mjs,
// records from the real q35 capture), through the real CLI in child processes whose V8 heap is
// capped: check, replay and diff complete with the right counts. Per-device state used to be
// ~24 KiB of shadow config plus ~50 KiB of register layout and a role walk over every device per
// device event (quadratic): 50k devices took 180 s in check and aborted replay at 3 GB. The caps
// scale to 300k devices in 1.5 GB (test/bench/README.md has the 300k run).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from '../support/serve-process.js';
// @ts-expect-error: a plain .mjs script, shared with the bench
import { makeManyDevices } from './many-devices-capture.mjs';

const DEVICES = 30_000;
interface Made { devices: number; accesses: number; reads: number; writes: number; deviceRecords: number }
let dir: string;
let capture: string;
let made: Made;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cfgscope-many-devices-'));
  capture = join(dir, 'many.capture.ndjson');
  made = makeManyDevices(DEVICES, capture) as Made;
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The CLI with its heap capped at `heapMb`: over it, V8 aborts (exit code null, SIGABRT). */
function capped(heapMb: number, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [`--max-old-space-size=${heapMb}`, BIN, ...args], { encoding: 'utf8', maxBuffer: 256 << 20, timeout: 150_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe(`a capture of ${DEVICES} devices`, () => {
  it('is checked in a 192 MB heap', () => {
    const r = capped(192, 'check', '--policy', 'luo-default', '--preserve', '0001:00:02.0', capture);
    expect(r.stderr).not.toMatch(/heap out of memory|at .*\.js:\d+/);
    expect(r.status).toBe(1);
    // 0001:00:02.0 is a q35 device's record: its BAR sizing writes break `decode`, as on the q35.
    expect(r.stdout).toMatch(new RegExp(`^2 violations, 0 expected writes; 1 of ${made.writes} known writes hit protected devices`, 'm'));
  }, 160_000);

  it('is replayed in a 192 MB heap', () => {
    const r = capped(192, 'replay', capture);
    expect(r.stderr).not.toMatch(/heap out of memory|at .*\.js:\d+/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Devices \\(${DEVICES}, `, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^Total: ${made.accesses} accesses \\(${made.reads} reads, ${made.writes} writes, 0 with unknown target\\), ${made.deviceRecords} device records`, 'm'));
  }, 160_000);

  it('is diffed against itself in a 256 MB heap', () => {
    const r = capped(256, 'diff', capture, capture);
    expect(r.stderr).not.toMatch(/heap out of memory|at .*\.js:\d+/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`0 call sites vanished, 0 appeared; 0 register writes vanished, 0 appeared, 0 changed values \\(${made.accesses} -> ${made.accesses} accesses\\)`));
  }, 160_000);
});
