// A packed capture carries checksums (v2 check frames): one flipped bit in a real packed capture
// is a PACKED_CHECKSUM skip with the byte range of its block, and check's findings are the
// original ones minus that block's, never a changed one. Version 1 files (no checksums) are
// still read, and the portable CRC-32 is zlib's.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { tableCrc32 } from '../../src/parsers/crc32.js';
import { A, PACKED_MAGIC_V1_BYTES, TAG_ACCESS, TAG_CHECK, TAG_JSON, TAG_NESTED } from '../../src/parsers/packed-layout.js';
import { runCli } from '../cli/run-cli.js';
import { readRecords } from '../support/read-records.js';

const root = new URL('../../', import.meta.url).pathname;
const SRC = `${root}replays/qemu-6.1-q35-basic/kernel.capture.ndjson`;
const POLICY = `${root}test/fixtures/policies/nvme-preserved.json`;
const dir = mkdtempSync(join(tmpdir(), 'cfgscope-checksum-'));

/** Frame starts, by the test's own reading of the layout (magic line of either version first). */
function frames(b: Buffer): number[] {
  const out: number[] = [];
  for (let p = b.indexOf(0x0a) + 1; p < b.length;) {
    out.push(p);
    const t = b[p]!;
    p += t === TAG_ACCESS ? 64 : t === TAG_NESTED ? 16 : t === TAG_CHECK ? 5 : t === TAG_JSON ? 5 + b.readUInt32LE(p + 1) : 3 + b.readUInt16LE(p + 1);
  }
  return out;
}

async function pack(name: string): Promise<Buffer> {
  const out = join(dir, name);
  const r = await runCli('import', SRC, '-o', out);
  expect(r.code, r.stderr).toBe(0);
  return readFileSync(out);
}

/** Each finding as `line bdf register new rule` -> its old value. */
const findings = (stdout: string): Map<string, number | null> => new Map(stdout.trim().split('\n').filter((l) => l.includes('"type":"finding"'))
  .map((l) => { const f = JSON.parse(l) as { rule: { id: string }; device: { bdf: string }; register: string; old: number | null; new: number | null; line: number }; return [`${f.line} ${f.device.bdf} ${f.register} ${f.new} ${f.rule.id}`, f.old]; }));

describe('a bit flipped in a packed capture', () => {
  it('is a PACKED_CHECKSUM skip with its byte range, and no finding changes', async () => {
    const good = await pack('good.cfgcap');
    const bad = Buffer.from(good);
    // serial.log:1497, BAR sizing clearing decode on 0000:00:04.0 (COMMAND 0x0103 -> 0x0100): a violation.
    const at = frames(bad).find((p) => bad[p] === TAG_ACCESS && bad[p + A.shape]! <= 1 && bad.readUInt32LE(p + A.line) === 1497)!;
    expect(at).toBeDefined();
    bad[at + A.val] = bad[at + A.val]! ^ 0x01; // 0x0100 -> 0x0101: IO decode stays on
    const file = join(dir, 'flipped.cfgcap');
    writeFileSync(file, bad);
    // check writes findings to fd 1 itself: run as a process to read them.
    const check = (f: string) => spawnSync(process.execPath, [`${root}bin/cfgscope.js`, 'check', '--json', '--policy', POLICY, f], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const was = check(join(dir, 'good.cfgcap'));
    const now = check(file);
    expect(now.stderr).toContain('skipped 1 x PACKED_CHECKSUM');
    expect(now.stderr).toMatch(/bytes \d+\.\.\d+ do not match their checksum \(CRC-32 0x[0-9a-f]{8} in the file, 0x[0-9a-f]{8} computed/);
    const range = /bytes (\d+)\.\.(\d+) do not/.exec(now.stderr)!;
    expect(Number(range[1])).toBeLessThanOrEqual(at);
    expect(Number(range[2])).toBeGreaterThan(at);
    const before = findings(was.stdout);
    const after = findings(now.stdout);
    expect(after.size).toBeGreaterThan(0);
        expect([...after.keys()].some((k) => k.startsWith('1497 '))).toBe(false);
    // Every write judged is judged as in the original, except where an old value the dropped
    // writes had set is unknown now: said as such (old null, "may have changed"), never another value.
    for (const [k, old] of after) {
      if (!before.has(k) || old !== before.get(k)) expect(old, k).toBeNull();
    }
  }, 60_000); // three CLI runs on a shared machine

  it('a version 1 file (no check frames) is still read, to the same records', async () => {
    const v2 = await pack('v2.cfgcap');
    const parts: Buffer[] = [PACKED_MAGIC_V1_BYTES];
    const starts = frames(v2);
    starts.forEach((p, i) => { if (v2[p] !== TAG_CHECK) parts.push(v2.subarray(p, starts[i + 1] ?? v2.length)); });
    const v1 = join(dir, 'v1.cfgcap');
    writeFileSync(v1, Buffer.concat(parts));
    const want = (await readRecords(SRC)).map((r) => JSON.stringify(r));
    expect((await readRecords(v1)).map((r) => JSON.stringify(r))).toEqual(want);
    const back = join(dir, 'v1.ndjson');
    expect((await runCli('import', v1, '-o', back)).code).toBe(0);
    expect(readFileSync(back, 'utf8')).toBe(readFileSync(SRC, 'utf8'));
  });
});

describe('CRC-32', () => {
  it('the portable table gives zlib\'s values, continued across calls', () => {
    const crc = tableCrc32();
    const native = (zlib as { crc32?: (d: Uint8Array, v?: number) => number }).crc32;
    expect(crc(Buffer.from('123456789'))).toBe(0xcbf43926); // the standard check value
    const data = randomBytes(10_000);
    expect(crc(data.subarray(3000), crc(data.subarray(0, 3000)))).toBe(crc(data));
    if (native) expect(crc(data)).toBe(native(data));
  });
});
