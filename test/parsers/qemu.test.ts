import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccessRecord, SkippedRecord } from '../../src/model/records.js';
import { inferSize, qemuFormat } from '../../src/parsers/qemu.js';
import { fixture, readRecords } from '../support/read-records.js';

const LOG = fixture('qemu-6.1-q35-basic/qemu-trace.log');

function tmpFile(text: string): string {
  const p = join(mkdtempSync(join(tmpdir(), 'cfgscope-')), 'qemu.log');
  writeFileSync(p, text);
  return p;
}

describe('QEMU pci_cfg trace parser on a real run', async () => {
  const recs = await readRecords(LOG);
  const acc = recs.filter((r): r is AccessRecord => r.t === 'access');

  it('reads every pci_cfg line (grep -c: 3079) and nothing else is skipped', () => {
    expect(acc.length).toBe(3116 - 37);
    expect(recs.filter((r) => r.t === 'skipped')).toEqual([]);
  });

  it('marks firmware and the kernel handoff after the last linuxboot fw_cfg select (line 659)', () => {
    expect(recs.filter((r) => r.t === 'phase')).toEqual([
      { t: 'phase', ts: null, label: 'firmware', index: null, line: 1 },
      { t: 'phase', ts: null, label: 'kernel', index: null, line: 660 },
    ]);
  });

  it('parses device, BDF, offset and value of a BAR sizing write', () => {
    const w = acc.find((a) => a.op === 'w' && a.model === 'e1000e' && a.val === 0xffffffff)!;
    // 0xffffffff needs four bytes, and four is the widest access: the width is known.
    expect(w).toMatchObject({ layer: 'device', seg: 0, bus: 1, devfn: 0, size: 4, sizeGuessed: false, known: true, stack: null });
  });

  it('never takes a width from a small value: a lower bound, marked, unless the read before it at the same offset proves it', () => {
    // e1000e's MSI-X Message Control at 0xa2, the MSI-X disable: `@0xa2 -> 0x8004` (a word: the
    // value needs two bytes), then `@0xa2 <- 0x4`, the same word written back without the enable.
    expect(acc.find((a) => a.line === 2750)).toMatchObject({ op: 'w', off: 0xa2, val: 4, size: 2, sizeGuessed: false });
    const lone = acc.find((a) => a.op === 'w' && a.off! % 4 === 0 && a.val === 0)!;
    expect(lone).toMatchObject({ size: 1, sizeGuessed: true });
    expect(acc.filter((a) => a.sizeGuessed === true).every((a) => a.size < (a.off! % 4 === 0 ? 4 : a.off! % 2 === 0 ? 2 : 1))).toBe(true);
  });

  it('infers access widths conservatively', () => {
    expect([inferSize(0x19, 0xff), inferSize(0x0, 0x8086), inferSize(0x0, 0x29c08086), inferSize(0x90, 0)]).toEqual([1, 2, 4, 1]);
  });
});

describe('QEMU parser on malformed input', () => {
  it('reports a truncated pci_cfg line and foreign lines with codes and line numbers', async () => {
    const file = tmpFile('pci_cfg_read mch 00:00.0 @0x0 -> 0x8086\npci_cfg_write e1000e 01:00.0 @0x1\nsomething else\npci_cfg_read mch 00:00.0 @0x2 -> 0x29c0\n');
    const recs = await readRecords(file);
    expect(recs.filter((r): r is SkippedRecord => r.t === 'skipped').map((s) => [s.code, s.line])).toEqual([['QEMU_BAD_LINE', 2], ['QEMU_UNKNOWN_LINE', 3]]);
    expect(recs.filter((r) => r.t === 'access').length).toBe(2);
  });

  it('does not claim ftrace text', () => {
    expect(qemuFormat.detect(['            init-1       [001] .....     2.092352: pci_bus_write_config_word <-pci_setup_device.cold'])).toBe(false);
  });
});
