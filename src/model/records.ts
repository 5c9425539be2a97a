// The capture model: every input format is parsed into these records, and a capture file
// (docs/capture-format.md) is exactly these records, one JSON object per line.
// Field names are short because a boot capture holds millions of access records.

import type { BootRecord } from './boots.js';

export type { BootRecord } from './boots.js';

export const CAPTURE_FORMAT = 'cfgscope-capture';
export const CAPTURE_VERSION = 1;

/** Where an access was observed. `bus` = pci_bus_* accessors, `user` = pci_user_*,
 *  `raw` = raw_pci_* / ACPI, `early` = x86 early quirks, `device` = the device side (QEMU). */
export type Layer = 'bus' | 'user' | 'raw' | 'acpi' | 'early' | 'device';
export type Op = 'r' | 'w';
export type SourceKind = 'ftrace' | 'qemu' | 'bpftrace' | 'capture' | 'packed';

export interface HeaderRecord {
  t: 'header';
  format: typeof CAPTURE_FORMAT;
  version: number;
  source: { kind: SourceKind; file?: string };
  kernel?: { release?: string; cmdline?: string };
  host?: string;
  /** Trace clock name (`global`, `local`, `mono`...) or `none` when the source has no timestamps. */
  clock: string;
}

export interface CapabilityEntry {
  /** Capability id (8-bit for standard, 16-bit for extended). */
  id: number;
  /** Offset of the capability header in config space. */
  off: number;
  /** Extended capability version, when known. */
  ver?: number;
}

export interface DeviceRecord {
  t: 'device';
  /** `0000:3b:00.0` */
  bdf: string;
  vendor?: number;
  device?: number;
  subvendor?: number;
  subdevice?: number;
  /** 24-bit class code (base, sub, prog-if). */
  class?: number;
  headerType?: number;
  driver?: string;
  caps?: CapabilityEntry[];
  ecaps?: CapabilityEntry[];
  /** Config space bytes as hex, `..` for a byte whose value is unknown. */
  config?: string;
  /** Where the identity came from: `trace` (enumeration reads), `sysfs`, `console`. */
  from: string;
}

export interface StackRecord {
  t: 'stack';
  id: number;
  /** Innermost first, as the kernel prints them: `func+0xoff/0xsize` or `func+off`. */
  frames: string[];
}

export interface AccessRecord {
  t: 'access';
  /** Seconds on the trace clock, or null when the source has no time (QEMU's log). */
  ts: number | null;
  cpu: number | null;
  pid: number | null;
  comm: string | null;
  op: Op;
  /** Segment (domain), bus and devfn; null when the probe could not see them (function tracer). */
  seg: number | null;
  bus: number | null;
  devfn: number | null;
  off: number | null;
  size: 1 | 2 | 4;
  /** Value written, or value read when the source can see it; null when unknown. */
  val: number | null;
  /** Accessor return code (PCIBIOS_*), when known. */
  ret: number | null;
  layer: Layer;
  /** The accessor function that was hit, e.g. `pci_bus_write_config_word`. */
  fn: string | null;
  /** Interned stack id (a StackRecord earlier in the capture), or null. */
  stack: number | null;
  /** false: the access happened but its device/offset/value are unknown (early-boot function tracer). */
  known: boolean;
  /** 1-based line in the raw input that produced this record. */
  line?: number;
  /** true when the source does not log the width and `size` was inferred (QEMU's log). */
  sizeGuessed?: boolean;
  /** Device model name on the device side (QEMU's `e1000e`, `pcie-root-port`). */
  model?: string;
  /** Target and value were not seen by the kernel-side probe but taken from the device side of
   *  the same run by aligning the two write sequences (src/crosscheck/attribute-writes.ts). */
  attributed?: 'device-log';
}

export interface LostRecord {
  t: 'lost';
  count: number;
  ts: number | null;
  cpu: number | null;
  /** What reported it: `bpftrace`, `ftrace-overrun`... */
  reason: string;
  line?: number;
}

export interface PhaseRecord {
  t: 'phase';
  ts: number | null;
  /** Marker text as written to trace_marker, e.g. `PHASE[2] insmod nvme`. */
  label: string;
  /** Index parsed from `PHASE[n]` when present. */
  index: number | null;
  line?: number;
}

/** Input the parser could not use: kept, with the reason, so nothing is dropped silently. */
export interface SkippedRecord {
  t: 'skipped';
  code: string;
  message: string;
  line: number;
  text: string;
}

/** A counter reported by the source itself at the end of a run (bpftrace's in-kernel map). */
/** A second probe layer's hit on an access already recorded (e.g. the function tracer firing on
 *  the same pci_bus_write_config_* call a kprobe event already recorded). Kept for the record,
 *  never counted as an access. */
export interface NestedRecord {
  t: 'nested';
  /** Which probe layer saw it again: `function` (ftrace function tracer), or a bpftrace layer. */
  layer: string;
  /** Line of the primary access record in the raw input, when known. */
  of: number | null;
  line: number;
}

export interface SourceCountRecord {
  t: 'source-count';
  key: string;
  count: number;
  line?: number;
}

export interface TrailerRecord {
  t: 'trailer';
  counts: CaptureCounts;
  /** true when the capture ended normally; false when the writer was interrupted. */
  complete: boolean;
}

export interface CaptureCounts {
  accesses: number;
  reads: number;
  writes: number;
  unknownAccesses: number;
  devices: number;
  stacks: number;
  phases: number;
  lostEvents: number;
  skipped: number;
  /** Hits of a second probe layer on an access already recorded (e.g. function tracer + kprobe). */
  nestedMerged: number;
  /** Input lines that belong to no trace (console chatter around an embedded trace). */
  ignoredLines: number;
}

export type CaptureRecord =
  | HeaderRecord
  | DeviceRecord
  | StackRecord
  | AccessRecord
  | LostRecord
  | PhaseRecord
  | BootRecord
  | SkippedRecord
  | NestedRecord
  | SourceCountRecord
  | TrailerRecord;

export type RecordType = CaptureRecord['t'];

export const isAccess = (r: CaptureRecord): r is AccessRecord => r.t === 'access';
export const isDevice = (r: CaptureRecord): r is DeviceRecord => r.t === 'device';
export const isStack = (r: CaptureRecord): r is StackRecord => r.t === 'stack';
export const isPhase = (r: CaptureRecord): r is PhaseRecord => r.t === 'phase';
export const isHeader = (r: CaptureRecord): r is HeaderRecord => r.t === 'header';
export const isTrailer = (r: CaptureRecord): r is TrailerRecord => r.t === 'trailer';

export function emptyCounts(): CaptureCounts {
  return {
    accesses: 0, reads: 0, writes: 0, unknownAccesses: 0, devices: 0, stacks: 0, phases: 0,
    lostEvents: 0, skipped: 0, nestedMerged: 0, ignoredLines: 0,
  };
}

/** Adds one record to running counts (the trailer is computed, never trusted from the input). */
export function countRecord(c: CaptureCounts, r: CaptureRecord): void {
  switch (r.t) {
    case 'access':
      c.accesses++;
      if (r.op === 'r') c.reads++; else c.writes++;
      if (!r.known) c.unknownAccesses++;
      break;
    case 'device': c.devices++; break;
    case 'stack': c.stacks++; break;
    case 'phase': c.phases++; break;
    case 'lost': c.lostEvents += r.count; break;
    case 'skipped': c.skipped++; break;
    case 'nested': c.nestedMerged++; break;
    default: break;
  }
}
