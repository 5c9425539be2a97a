// Human output of `replay`: per phase, per device, the writes grouped by register and call site
// with old -> new values, then a one-line summary of reads. Plain text with fixed-width columns,
// so it pastes cleanly into a mailing-list reply. Every string from the input (header fields, phase
// labels, function names, call sites, reasons, map keys) goes through printable() (`p`), so its
// control characters and newlines cannot act on a terminal or start a line of their own.

import type { DeviceRecord, HeaderRecord } from '../model/records.js';
import type { EndEvent } from '../model/events.js';
import type { PhaseSummary, SummaryEvent, WriteRow } from '../pipeline/summarize-phases.js';
import { reconcileCounts } from '../crosscheck/reconcile-counts.js';
import { printable as p } from '../model/escape-text.js';
import { describeDevice, type DeviceNamer } from './device-line.js';

const READ_REGISTERS_SHOWN = 6;
/** Wide enough for `ECAP_AER+0x2c (ROOT_COMMAND)`. */
const REG_COL = 30;
/** Wide enough for `0xfe200000 -> 0xffffffff x12`. */
const VAL_COL = 30;

export class ReplayTextSink {
  private readonly devices = new Map<string, DeviceRecord>();
  private devicesPrinted = false;
  private attributed = false;
  /** bpftrace's in-kernel @count map, for the lossless proof at the end. */
  private readonly probeCounts = new Map<string, number>();

  constructor(private readonly out: (text: string) => void, private readonly names: DeviceNamer) {}

  handle(e: SummaryEvent): void {
    switch (e.kind) {
      case 'header': return this.header(e.header);
      case 'device': this.devices.set(e.device.bdf, e.device); return;
      case 'phase-summary': return this.phase(e);
      case 'lost': return this.out(`  !! ${e.record.count} events lost (${p(e.record.reason)})${e.record.line ? ` at input line ${e.record.line}` : ''}\n`);
      case 'source-count':
        if (e.record.key.startsWith('@count[')) this.probeCounts.set(e.record.key.slice('@count['.length, -1), e.record.count);
        return;
      case 'end': this.printDevices(); return this.end(e);
      default: return;
    }
  }

  private header(h: HeaderRecord): void {
    const parts = [`source: ${p(h.source.kind)}${h.source.file ? ` (${p(h.source.file)})` : ''}`];
    if (h.kernel?.release) parts.push(`kernel ${p(h.kernel.release)}`);
    parts.push(`clock ${p(h.clock)}`);
    this.out(`${parts.join(', ')}\n`);
  }

  private printDevices(): void {
    if (this.devicesPrinted) return;
    this.devicesPrinted = true;
    if (this.devices.size === 0) return;
    this.out(`\nDevices (${this.devices.size}, identity from ${p([...new Set([...this.devices.values()].map((d) => d.from))].join(', '))}):\n`);
    for (const d of [...this.devices.values()].sort((a, b) => (a.bdf < b.bdf ? -1 : 1))) {
      this.out(`  ${describeDevice(d, this.names)}\n`);
    }
  }

  private phase(s: PhaseSummary): void {
    const at = s.phase.ts !== null ? ` (t=${s.phase.ts.toFixed(6)})` : '';
    this.out(`\n== ${p(s.phase.label)}${at} ==\n`);
    this.out(`   ${s.accesses} accesses: ${s.reads} reads, ${s.writes} writes\n`);
    const unknown = s.rows.filter((r) => r.bdf === null);
    if (unknown.length > 0) {
      const n = unknown.reduce((a, r) => a + r.count, 0);
      this.out(`\n  ${n} writes the early-boot function tracer saw without arguments (device, offset, value unknown), by call site:\n`);
      this.out(`    ${'count'.padStart(5)}  ${'accessor'.padEnd(28)}  call site\n`);
      for (const r of unknown.sort((a, b) => b.count - a.count)) {
        this.out(`    ${String(r.count).padStart(5)}  ${p(r.fn ?? '?').padEnd(28)}  ${p(r.callSite ?? '?')}\n`);
      }
    }
    const byDevice = new Map<string, WriteRow[]>();
    for (const r of s.rows) {
      if (r.bdf === null) continue;
      const rows = byDevice.get(r.bdf);
      if (rows) rows.push(r); else byDevice.set(r.bdf, [r]);
    }
    // By BDF once, not a search per device: a phase may name hundreds of thousands of devices.
    const readsOf = new Map(s.deviceReads.map((d) => [d.bdf, d]));
    for (const bdf of [...byDevice.keys()].sort()) {
      const dev = this.devices.get(bdf);
      this.out(`\n  ${dev ? describeDevice(dev, this.names) : `${bdf}  (identity unknown)`}\n`);
      this.out(`    ${'register'.padEnd(REG_COL)} ${'n'.padStart(4)}  ${'old -> new'.padEnd(VAL_COL)}  call site\n`);
      for (const r of byDevice.get(bdf)!.sort((a, b) => a.firstIndex - b.firstIndex)) this.out(this.row(r));
      const reads = readsOf.get(bdf);
      if (reads) this.out(`    reads: ${reads.count} (${topRegisters(reads.byRegister)})\n`);
    }
    this.readOnlyDevices(s, byDevice);
    if (s.unknownReads > 0) this.out(`\n  reads with device unknown: ${s.unknownReads}\n`);
  }

  /** Devices only read in this phase: one line each; functions with no identity (enumeration
   *  probing empty slots reads 0xffff there) collapse into a single line. */
  private readOnlyDevices(s: PhaseSummary, written: Map<string, WriteRow[]>): void {
    const readOnly = s.deviceReads.filter((d) => !written.has(d.bdf));
    if (readOnly.length === 0) return;
    this.out('\n  read only:\n');
    const anonymous: string[] = [];
    for (const d of readOnly) {
      const dev = this.devices.get(d.bdf);
      if (!dev) { anonymous.push(d.bdf); continue; }
      this.out(`    ${describeDevice(dev, this.names)}: ${d.count} reads (${topRegisters(d.byRegister)})\n`);
    }
    if (anonymous.length > 0) {
      const n = readOnly.filter((d) => !this.devices.has(d.bdf)).reduce((a, d) => a + d.count, 0);
      this.out(`    ${anonymous.length} functions with no device record, ${n} reads (enumeration probing empty slots?): ${anonymous.join(' ')}\n`);
    }
  }

  private row(r: WriteRow): string {
    if (r.attributed > 0) this.attributed = true;
    const reg = p(r.mnemonic && r.mnemonic !== r.register ? `${r.register} (${r.mnemonic})` : r.register ?? '?');
    const trans = [...r.transitions.entries()].map(([t, n]) => (n > 1 ? `${t.replace('->', ' -> ')} x${n}` : t.replace('->', ' -> ')));
    if (r.otherTransitions > 0) trans.push(`+${r.otherTransitions} other`);
    const first = trans.shift() ?? '(value unknown)';
    const site = `${p(r.callSite ?? '?')}${r.attributed > 0 ? ' [a]' : ''}`;
    let text = `    ${reg.padEnd(REG_COL)} ${String(r.count).padStart(4)}  ${first.padEnd(VAL_COL)}  ${site}\n`;
    for (const t of trans) text += `    ${''.padEnd(REG_COL)} ${''.padStart(4)}  ${t}\n`;
    return text;
  }

  private end(e: EndEvent): void {
    const c = e.counts;
    this.out(`\nTotal: ${c.accesses} accesses (${c.reads} reads, ${c.writes} writes, ${c.unknownAccesses} with unknown target), `
      + `${c.devices} device records, ${c.stacks} stacks, ${c.phases} phase markers\n`);
    const notes: string[] = [];
    if (c.lostEvents > 0) notes.push(`${c.lostEvents} events LOST by the tracer`);
    if (c.skipped > 0) notes.push(`${c.skipped} input lines skipped (see --json or \`cfgscope import\` for each, with its code and line)`);
    if (c.nestedMerged > 0) notes.push(`${c.nestedMerged} nested probe hits merged into the access they repeat`);
    if (c.ignoredLines > 0) notes.push(`${c.ignoredLines} console lines outside the trace ignored`);
    if (e.trailer === 'incomplete') notes.push('capture is INCOMPLETE: its writer was interrupted');
    if (this.attributed) notes.push('[a]: target and value of these early-boot writes come from the device-side log of the same run (aligned by `cfgscope import --attribute`); the kernel probe saw only the call');
    if (c.unknownAccesses > 0) notes.push('an old value shown as 0x...? was known before an early-boot write whose target is unknown: that write may have changed it');
    const rec = reconcileCounts(e.byLayer, this.probeCounts, c.lostEvents);
    if (rec.status === 'balanced') notes.push(`probe counts reconcile: ${rec.printed} printed + ${rec.lost} lost = ${rec.counted} counted in the kernel: every event is accounted for`);
    else if (rec.status !== 'no-counts') {
      notes.push(`probe counts do NOT reconcile (${rec.status}): ${rec.printed} printed + ${rec.lost} lost vs ${rec.counted} counted in the kernel; `
        + `${rec.differences.map((d) => `${p(d.key)}: ${d.printed} printed, ${d.counted} counted`).join('; ')}. Not proven lossless`);
    }
    for (const n of notes) this.out(`  ${n}\n`);
  }
}

function topRegisters(by: Map<string, number>): string {
  const sorted = [...by.entries()].sort((a, b) => b[1] - a[1]);
  const shown = sorted.slice(0, READ_REGISTERS_SHOWN).map(([r, n]) => `${p(r)} ${n}`);
  if (sorted.length > READ_REGISTERS_SHOWN) shown.push(`+${sorted.length - READ_REGISTERS_SHOWN} more registers`);
  return shown.join(', ');
}
