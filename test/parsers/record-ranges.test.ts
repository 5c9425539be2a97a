// Records out of the capture format's ranges (docs/capture-format.md, "Ranges"), made by mutating
// one real write of the bundled q35 capture, run through the real CLI: each is skipped with
// CAPTURE_BAD_RECORD, its line and the field, and none changes a verdict silently. Before the
// one validator (src/model/record-check.ts) these were accepted by type: a devfn of 256 was judged
// as a write to the next bus's device, a forged out-of-range value turned check's exit 1 into 0,
// an offset of 4.5 crashed check with a stack trace and exit 1.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
const bin = `${root}bin/cfgscope.js`;
const dir = mkdtempSync(join(tmpdir(), 'cfgscope-ranges-'));
const POLICY = `${root}test/fixtures/policies/nvme-preserved.json`;

const lines = readFileSync(`${root}replays/qemu-6.1-q35-basic/kernel.capture.ndjson`, 'utf8').trim().split('\n');
/** Header, devices, stacks and phases of the real capture, without its accesses and trailer. */
const frame = lines.filter((l) => !l.startsWith('{"t":"access"') && !l.startsWith('{"t":"trailer"'));
/** serial.log:1497: BAR sizing clears decode in COMMAND of root port 0000:00:04.0 (bus 0, devfn
 *  32), 0x0103 -> 0x0100: a violation of nvme-preserved (the port the NVMe sits behind). */
const WRITE = JSON.parse(lines.find((l) => l.startsWith('{"t":"access"') && l.includes('"line":1497'))!) as Record<string, unknown>;

interface Run { code: number | null; stdout: string; stderr: string; file: string; line: number }

/** A capture of the real frame plus `accesses` (each a mutation of WRITE), checked by the CLI. */
function check(name: string, accesses: Record<string, unknown>[], ...extra: string[]): Run {
  const file = join(dir, `${name}.ndjson`);
  writeFileSync(file, `${[...frame, ...accesses.map((a) => JSON.stringify(a))].join('\n')}\n`);
  const r = spawnSync(process.execPath, [bin, 'check', '--policy', POLICY, file, ...extra], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, file, line: frame.length + 1 };
}

describe('check on records out of range', () => {
  it('the real write is one violation on 0000:00:04.0 (exit 1): the baseline the mutations change', () => {
    const r = check('baseline', [WRITE]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^0000:00:04\.0 .*\n {2}at __pci_read_base\n {4}VIOLATION error {4}decode: COMMAND IO 1->0, MEMORY 1->0 {2}0x0103 -> 0x0100$/m);
  });

  it('bus 1 devfn 256 is skipped, not judged as a write to 0000:02:00.0 (the next bus\'s device)', () => {
    const r = check('devfn-256', [{ ...WRITE, bus: 1, devfn: 256 }], '--json');
    // Before: a finding against 0000:02:00.0, the preserved NVMe, which no one wrote.
    expect(r.stdout).not.toContain('0000:02:00.0');
    expect(r.stdout).not.toContain('"type":"finding"');
    expect(r.stderr).toContain('skipped 1 x CAPTURE_BAD_RECORD');
    expect(r.stderr).toContain(`${r.file}:${r.line}: access record: field devfn is 256, should be an integer 0..255 or null`);
    expect(r.code).toBe(0);
  });

  it('a forged read with a value too wide for its size no longer hides the violation after it (exit 0 -> 1)', () => {
    // 0x10100 does not fit 2 bytes; taken by type it set the shadow's COMMAND to 0x0100, so the
    // real 0x0103 -> 0x0100 looked like an unchanged write and check passed.
    const forged = { ...WRITE, op: 'r', val: 0x10100, fn: 'pci_bus_read_config_word', line: 1496 };
    const r = check('forged-read', [forged, WRITE]);
    expect(r.stderr).toContain(`${r.file}:${r.line}: access record: field val is 65792, should be an integer 0..65535 (fits size 2) or null`);
    expect(r.stdout).toContain('VIOLATION error    decode: COMMAND IO 1->0, MEMORY 1->0  0x0103 -> 0x0100');
    expect(r.code).toBe(1);
  });

  const cases: [string, Record<string, unknown>, string][] = [
    ['size 8', { size: 8 }, 'field size is 8, should be 1, 2 or 4'],
    ['size 3', { size: 3 }, 'field size is 3, should be 1, 2 or 4'],
    ['op "W"', { op: 'W' }, 'field op is "W", should be "r" or "w"'],
    ['bus 256', { bus: 256 }, 'field bus is 256, should be an integer 0..255 or null'],
    ['negative devfn', { devfn: -8 }, 'field devfn is -8, should be an integer 0..255 or null'],
    ['seg 65536', { seg: 65536 }, 'field seg is 65536, should be an integer 0..65535 or null'],
    ['off 4.5', { off: 4.5 }, 'field off is 4.5, should be an integer 0..4094 (off + size <= 4096) or null'],
    ['off past config space', { off: 4095 }, 'field off is 4095, should be an integer 0..4094 (off + size <= 4096) or null'],
    ['negative val', { val: -1 }, 'field val is -1, should be an integer 0..65535 (fits size 2) or null'],
    ['unknown layer', { layer: 'toString' }, 'field layer is "toString", should be one of bus, user, raw, acpi, early, device'],
    ['known without target', { bus: null }, 'known is true but seg, bus, devfn or off is null'],
  ];
  for (const [what, change, message] of cases) {
    it(`${what}: skipped with its line and field, no stack trace, no verdict from it`, () => {
      const r = check(what.replace(/\W+/g, '-'), [{ ...WRITE, ...change }]);
      expect(r.stderr).toContain(`${r.file}:${r.line}: access record: ${message}`);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(r.stdout).toContain('0 violations, 0 expected writes; 0 of 0 known writes');
      expect(r.code).toBe(0);
    });
  }
});

describe('record types and lists from the input are looked up safely', () => {
  for (const t of ['toString', '__proto__', 'constructor', 'hasOwnProperty', 'valueOf']) {
    it(`a record of type ${t} is CAPTURE_UNKNOWN_TYPE`, () => {
      const r = check(`type-${t}`, [{ t, frames: 1, id: 'x' }, WRITE]);
      expect(r.stderr).toContain(`${r.file}:${r.line}: unknown record type "${t}"`);
      expect(r.code).toBe(1); // the real write after it is still judged
    });
  }

  it('a stack with frames that are not strings is CAPTURE_BAD_RECORD, and replay does not crash', () => {
    const file = join(dir, 'frames.ndjson');
    writeFileSync(file, `${[...frame, '{"t":"stack","id":900,"frames":[{"toString":1},7]}', JSON.stringify({ ...WRITE, stack: 900 })].join('\n')}\n`);
    const r = spawnSync(process.execPath, [bin, 'replay', file], { encoding: 'utf8' });
    expect(r.stderr).toContain(`${file}:${frame.length + 1}: stack record: field frames is [{"toString":1},7], should be a list of strings`);
    expect(r.status).toBe(0);
  });

  it('a device record with a BDF that is not one, or config that is not hex, is skipped', () => {
    const file = join(dir, 'device.ndjson');
    const dev = JSON.parse(frame.find((l) => l.startsWith('{"t":"device"'))!) as Record<string, unknown>;
    writeFileSync(file, `${[...frame, JSON.stringify({ ...dev, bdf: '__proto__' }), JSON.stringify({ ...dev, bdf: '0000:07:00.0', config: 'zz' })].join('\n')}\n`);
    const r = spawnSync(process.execPath, [bin, 'replay', file], { encoding: 'utf8' });
    expect(r.stderr).toContain('skipped 2 x CAPTURE_BAD_RECORD');
    expect(r.stderr).toContain('device record: field bdf is "__proto__", should be a PCI address like 0000:02:00.0');
    expect(r.stderr).toContain('device record: field config is "zz"');
    expect(r.status).toBe(0);
  });
});
