// What the pipeline emits: capture records joined with device identity, register names, the
// shadow config's old value and the responsible call site. Replay and live use consume these.

import type { AccessRecord, BootRecord, CaptureCounts, DeviceRecord, HeaderRecord, LostRecord, PhaseRecord, SkippedRecord, SourceCountRecord } from '../model/records.js';
import type { ByteSource } from '../model/shadow-config.js';
import type { BootRef } from '../model/boots.js';

export interface PhaseRef {
  /** 0 for the part of the trace before the first marker. */
  seq: number;
  /** The phase's full name: its label, prefixed with its kernel from kernel 2 on (phaseName). */
  label: string;
  ts: number | null;
  // boot: the boot this phase belongs to (src/model/boots.ts); absent = kernel 1.
  boot?: BootRef;
}

export interface AccessEvent {
  kind: 'access';
  /** 0-based index of this access among the capture's access records. */
  index: number;
  access: AccessRecord;
  /** `0000:01:00.0`, or null when the probe could not see the device (early function tracer). */
  bdf: string | null;
  /** setpci-style register name (`COMMAND`, `CAP_EXP+0x8`), null when the offset is unknown. */
  register: string | null;
  /** Kernel mnemonic of the register (`DEVCTL`), when it has one. */
  mnemonic: string | null;
  /** Value of the accessed bytes just before this access, or null when cfgscope cannot know it. */
  old: number | null;
  oldFrom: ByteSource;
  /** The old value was known before an unattributed write (target unknown) that may have changed it. */
  oldStale: boolean;
  /** First frame outside the config accessors: the code that asked for this access. */
  callSite: string | null;
  stack: readonly string[] | null;
  phase: PhaseRef;
}

export interface PhaseEvent { kind: 'phase'; phase: PhaseRef; record: PhaseRecord | BootRecord }
export interface LostEvent { kind: 'lost'; record: LostRecord; phase: PhaseRef }
export interface SkippedEvent { kind: 'skipped'; record: SkippedRecord }
export interface DeviceEvent { kind: 'device'; device: DeviceRecord }
export interface HeaderEvent { kind: 'header'; header: HeaderRecord }
export interface SourceCountEvent { kind: 'source-count'; record: SourceCountRecord }
/** Last event of a stream: counts of what went through, and whether the input had a complete trailer. */
export interface EndEvent {
  kind: 'end';
  counts: CaptureCounts;
  trailer: 'complete' | 'incomplete' | 'missing';
  /** Accesses and nested hits per `layer, op` (`bus, w`), the key bpftrace's @count map uses. */
  byLayer: Map<string, number>;
}

export type PipelineEvent = AccessEvent | PhaseEvent | LostEvent | SkippedEvent | DeviceEvent | HeaderEvent | SourceCountEvent | EndEvent;

export const isAccessEvent = (e: PipelineEvent): e is AccessEvent => e.kind === 'access';
