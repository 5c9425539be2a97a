// QEMU's device-side config access log: `-trace enable=pci_cfg_read -trace enable=pci_cfg_write
// -trace enable=fw_cfg_select -D file`. Formats from QEMU's hw/pci/trace-events:
//   pci_cfg_read  "%s %02x:%02x.%x @0x%x -> 0x%x"   (device name, bus:slot.func, offset, value)
//   pci_cfg_write "%s %02x:%02x.%x @0x%x <- 0x%x"
// With `-trace` to a log, QEMU may prefix lines with `<pid>@<seconds>.<usec>:`; both forms parse.
// QEMU sees every access, from firmware on, but no call sites, no CPU or task, and no access size.
// The width is never inferred from the value: `size` is the least width the access can have
// (inferSize) and `sizeGuessed: true` says the access may be wider, up to its offset's alignment
// (src/registers/access-width.ts, docs/capture-format.md). One piece of evidence is taken here: a
// write right after a read of the same function at the same offset is the second half of a
// read-modify-write (pci_read_config_word, then pci_write_config_word), as wide as that read;
// when that makes it as wide as the alignment allows, the width is known (`sizeGuessed: false`).
// Firmware (SeaBIOS) runs until the boot loader fetches the kernel through fw_cfg; the first
// config access after the `kernel_*`/`cmdline_*`/`initrd_*`/`setup_*` selects starts the kernel:
// the parser emits `firmware` and `kernel` phase records around it.

import type { AccessRecord } from '../model/records.js';
import { CAPTURE_FORMAT, CAPTURE_VERSION } from '../model/records.js';
import { accessProblem } from '../model/record-check.js';
import { widestAt } from '../registers/access-width.js';
import type { InputFormat, LineParser, ParseContext, RecordSink } from './parser.js';

const PREFIX = /^(?:\d+@(\d+\.\d+):)?/;
const CFG_RE = /^(?:\d+@(\d+\.\d+):)?pci_cfg_(read|write) (.+?) ([0-9a-f]{2}):([0-9a-f]{2})\.([0-7]) @0x([0-9a-f]+) (->|<-) 0x([0-9a-f]+)\s*$/;
const FW_CFG_RE = /^(?:\d+@\d+\.\d+:)?fw_cfg_select \S+ key 0x[0-9a-f]+ '([^']*)'/;
const HANDOFF_KEY = /^(kernel_|cmdline_|initrd_|setup_)/;

export const qemuFormat: InputFormat = {
  kind: 'qemu',
  name: "QEMU pci_cfg_read/pci_cfg_write trace log",
  detect: (head) => head.some((l) => CFG_RE.test(l)),
  create: (ctx, emit) => new QemuParser(ctx, emit),
};

/**
 * QEMU does not log the access width. The smallest width that holds the value and that the offset's
 * alignment allows is a lower bound, never taken for the width itself (see the header comment).
 */
export function inferSize(off: number, val: number): 1 | 2 | 4 {
  if (off % 2 !== 0) return 1;
  if (val > 0xffff) return 4;
  if (val > 0xff) return 2;
  return 1;
}

class QemuParser implements LineParser {
  private started = false;
  /** fw_cfg handoff seen and no access since: the next access is the kernel's first. */
  private handoff = false;
  private kernelSeen = false;
  /** Per function (bus << 8 | devfn), its last access: a read at `off` of at least `size` bytes,
   *  or -1 after a write. */
  private readonly lastRead = new Map<number, { off: number; size: 1 | 2 | 4 }>();

  constructor(private readonly ctx: ParseContext, private readonly emit: RecordSink) {}

  line(raw: string, no: number): void {
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const m = CFG_RE.exec(text);
    if (m) return this.access(m, no);
    const fw = FW_CFG_RE.exec(text);
    if (fw) {
      this.start(no);
      if (HANDOFF_KEY.test(fw[1]!)) this.handoff = true;
      return;
    }
    if (text.trim() === '') return;
    this.start(no);
    const code = text.slice(PREFIX.exec(text)![0].length).startsWith('pci_cfg_') ? 'QEMU_BAD_LINE' : 'QEMU_UNKNOWN_LINE';
    this.emit({ t: 'skipped', code, message: code === 'QEMU_BAD_LINE' ? 'malformed pci_cfg trace line' : 'not a pci_cfg or fw_cfg trace line', line: no, text: text.slice(0, 240) });
  }

  end(): void {
    this.start(0);
  }

  private start(no: number): void {
    if (this.started) return;
    this.started = true;
    this.emit({ t: 'header', format: CAPTURE_FORMAT, version: CAPTURE_VERSION, source: { kind: 'qemu', file: this.ctx.file }, clock: 'none' });
    if (no > 0) this.emit({ t: 'phase', ts: null, label: 'firmware', index: null, line: no });
  }

  private access(m: RegExpExecArray, no: number): void {
    this.start(no);
    if (this.handoff && !this.kernelSeen) {
      this.kernelSeen = true;
      this.emit({ t: 'phase', ts: null, label: 'kernel', index: null, line: no });
    }
    this.handoff = false;
    const off = parseInt(m[7]!, 16);
    const val = parseInt(m[9]!, 16);
    const bus = parseInt(m[4]!, 16);
    const devfn = (parseInt(m[5]!, 16) << 3) | Number(m[6]);
    const op = m[2] === 'read' ? 'r' : 'w';
    let size = inferSize(off, val);
    const fn = (bus << 8) | devfn;
    const before = this.lastRead.get(fn);
    if (op === 'w' && before !== undefined && before.off === off && before.size > size) size = before.size;
    const rec: AccessRecord = {
      t: 'access', ts: m[1] ? Number(m[1]) : null, cpu: null, pid: null, comm: null, model: m[3]!, op,
      seg: 0, bus, devfn, off, size, val,
      ret: null, layer: 'device', fn: null, stack: null, known: true, line: no, sizeGuessed: size < widestAt(off),
    };
    // Hex fields of any length (a slot past 0x1f, an offset past 0xfff, a value past 32 bits)
    // are out of the format's ranges: skipped, not wrapped onto another device or register.
    const problem = accessProblem(rec);
    if (problem !== null) {
      this.emit({ t: 'skipped', code: 'QEMU_BAD_LINE', message: problem, line: no, text: m[0].slice(0, 240) });
      return;
    }
    // Only a valid read is evidence for the width of the write after it.
    if (op === 'r') this.lastRead.set(fn, { off, size }); else this.lastRead.delete(fn);
    this.emit(rec);
  }
}
