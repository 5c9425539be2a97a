// Raw traces carry numbers as text of any length: a bus of 256, a QEMU slot past 0x1f, a value
// wider than its access. Each real fixture below has one of its access lines mutated out of range
// and is imported by the real CLI: the line is skipped with its format's existing BAD code, the
// range in the message and its line number, instead of being wrapped onto another device.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CaptureRecord } from '../../src/model/records.js';
import { runCli } from '../cli/run-cli.js';
import { fixture, readRecords } from '../support/read-records.js';

const dir = mkdtempSync(join(tmpdir(), 'cfgscope-raw-ranges-'));

/** The fixture with line `no` (1-based) rewritten by `edit`, imported; the records written. */
async function importMutated(rel: string, no: number, edit: (line: string) => string): Promise<{ recs: CaptureRecord[]; stderr: string; file: string; original: string }> {
  const lines = readFileSync(fixture(rel), 'utf8').split('\n');
  const original = lines[no - 1]!;
  lines[no - 1] = edit(original);
  expect(lines[no - 1]).not.toBe(original);
  const file = join(dir, rel.replace(/\//g, '-'));
  writeFileSync(file, lines.join('\n'));
  const out = `${file}.ndjson`;
  const r = await runCli('import', file, '-o', out);
  expect(r.code, r.stderr).toBe(0);
  return { recs: await readRecords(out), stderr: r.stderr, file, original };
}

const skipsOf = (recs: CaptureRecord[]): [string, number, string][] =>
  recs.flatMap((r) => (r.t === 'skipped' ? [[r.code, r.line, r.message] as [string, number, string]] : []));

describe('raw trace numbers out of the format ranges are skipped with the format BAD code', () => {
  it('ftrace: a kprobe write to bus=256 (serial.log:8160) is FTRACE_BAD_ARGS, not bus 0', async () => {
    const { recs, stderr, file } = await importMutated('qemu-6.1-q35-basic/serial.log', 8160, (l) => l.replace(' bus=0 ', ' bus=256 '));
    expect(skipsOf(recs)).toContainEqual(['FTRACE_BAD_ARGS', 8160, 'access record: field bus is 256, should be an integer 0..255 or null']);
    expect(recs.some((r) => r.t === 'access' && r.line === 8160)).toBe(false);
    expect(stderr).toContain(`${file}:8160: access record: field bus is 256`);
  });

  it('ftrace: a word write at where=0xfff (past config space) is FTRACE_BAD_ARGS', async () => {
    const { recs } = await importMutated('qemu-6.1-q35-basic/serial.log', 8188, (l) => l.replace('where=0x1c', 'where=0xfff'));
    expect(skipsOf(recs)).toContainEqual(['FTRACE_BAD_ARGS', 8188, 'access record: field off is 4095, should be an integer 0..4094 (off + size <= 4096) or null']);
  });

  it('qemu: slot 0x20 (devfn 256) is QEMU_BAD_LINE, not 01:00.0', async () => {
    const { recs } = await importMutated('qemu-6.1-q35-basic/qemu-trace.log', 7, (l) => l.replace('00:00.0', '00:20.0'));
    expect(skipsOf(recs)).toEqual([['QEMU_BAD_LINE', 7, 'access record: field devfn is 256, should be an integer 0..255 or null']]);
  });

  it('qemu: a value past 32 bits is QEMU_BAD_LINE', async () => {
    const { recs } = await importMutated('qemu-6.1-q35-basic/qemu-trace.log', 7, (l) => l.replace('<- 0x33333330', '<- 0x133333330'));
    expect(skipsOf(recs)).toEqual([['QEMU_BAD_LINE', 7, 'access record: field val is 5153960752, should be an integer 0..4294967295 (fits size 4) or null']]);
  });

  it('bpftrace: bus=300 is BPFTRACE_BAD_EVENT', async () => {
    const { recs } = await importMutated('bpftrace/probe-phases.txt', 164, (l) => l.replace(' bus=1 ', ' bus=300 '));
    expect(skipsOf(recs)).toContainEqual(['BPFTRACE_BAD_EVENT', 164, 'access record: field bus is 300, should be an integer 0..255 or null']);
  });

  it('bpftrace: a word write of 0x10107 is BPFTRACE_BAD_EVENT', async () => {
    const { recs } = await importMutated('bpftrace/probe-phases.txt', 203, (l) => l.replace('val=0x107', 'val=0x10107'));
    expect(skipsOf(recs)).toContainEqual(['BPFTRACE_BAD_EVENT', 203, 'access record: field val is 65799, should be an integer 0..65535 (fits size 2) or null']);
  });
});
