// What the enricher emits: capture records joined with the device they went to (its numeric
// address, identity and role under the policy), the register's numeric location on that device,
// the shadow config's old value and the responsible call site. The judge, the report and every
// sink read these; nothing after the enricher looks a device up or parses a name again.
// A field for the boot an event belongs to (kernel 1, handover, kernel 2) sits next to `phase`.

import type { AccessRecord, BootRecord, CaptureCounts, DeviceRecord, HeaderRecord, LostRecord, PhaseRecord, SkippedRecord, SourceCountRecord } from './records.js';
import type { ByteSource } from './shadow-config.js';
import type { BootRef } from './boots.js';

export interface PhaseRef {
  /** 0 for the part of the trace before the first marker. */
  seq: number;
  /** The phase's full name: its label, prefixed with its kernel from kernel 2 on (phaseName). */
  label: string;
  ts: number | null;
  // boot: the boot this phase belongs to (src/model/boots.ts); absent = kernel 1.
  boot?: BootRef;
}

/** A device's part in a policy: matched by a selector, one a preserved device depends on (the
 *  bridges above it, the PF of a VF), or neither. 'other' everywhere when there is no policy. */
export type Role = 'preserved' | 'depended' | 'other';

/** The enricher's device: one object per device for the whole run, shared by its accesses. */
export interface DeviceContext {
  /** bdfKey(seg, bus, devfn): the numeric address. */
  readonly key: number;
  readonly seg: number;
  readonly bus: number;
  readonly devfn: number;
  /** `0000:01:00.0`, made once when the device is first seen: for display. */
  readonly bdf: string;
}

export type RegisterSpace = 'header' | 'cap' | 'ecap' | 'unknown';

/** Where an access sits on its device, by number: the layout's answer for (offset, size), one
 *  frozen object per pair and layout. The names beside the numbers are for display. */
export interface RegisterLocation {
  readonly space: RegisterSpace;
  /** Capability id (standard or extended, by `space`); -1 in the header or outside any capability. */
  readonly capId: number;
  /** 0-based instance of a capability present more than once (setpci's `@n`). */
  readonly instance: number;
  /** Offset within the capability (or header register); `off` itself for an unknown space. */
  readonly rel: number;
  readonly off: number;
  readonly size: number;
  /** setpci-style name (`COMMAND`, `CAP_EXP+0x8`) and its capability or register (`CAP_EXP`). */
  readonly name: string;
  readonly base: string;
  readonly mnemonic: string | undefined;
}

export interface AccessEvent {
  kind: 'access';
  /** 0-based index of this access among the capture's access records. */
  index: number;
  access: AccessRecord;
  /** The device, null when the probe could not see it (early function tracer). */
  device: DeviceContext | null;
  /** The device's identity as known at this access (null with `device`). */
  id: DeviceRecord | null;
  /** The device's role as the policy sees it before this access ('other' without a policy). */
  role: Role;
  /** The register's location, null when the offset is unknown. */
  loc: RegisterLocation | null;
  /** Display copies (device.bdf, loc.name, loc.mnemonic): made once per device and register,
   *  read by sinks, never parsed. */
  bdf: string | null;
  register: string | null;
  mnemonic: string | null;
  /** Value of the accessed bytes just before this access, or null when cfgscope cannot know it. */
  old: number | null;
  oldFrom: ByteSource;
  /** Where an old value from the previous kernel's capture was seen there (`oldFrom` Carried). */
  oldOrigin?: OldOrigin;
  /** The old value was known before an unattributed write (target unknown) that may have changed it. */
  oldStale: boolean;
  /** First frame outside the config accessors: the code that asked for this access. */
  callSite: string | null;
  stack: readonly string[] | null;
  phase: PhaseRef;
}

/** An old value this capture never saw, taken from the previous kernel's last known state
 *  (`--previous-capture`): that capture, and its access that last set one of the value's bytes
 *  (`line` in its raw source `source`), or null when its device snapshot gave them. */
export interface OldOrigin {
  capture: string;
  source: string | null;
  line: number | null;
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
  /** Writes whose device and offset are known (those the access filter left out included). */
  knownWrites: number;
}

export type PipelineEvent = AccessEvent | PhaseEvent | LostEvent | SkippedEvent | DeviceEvent | HeaderEvent | SourceCountEvent | EndEvent;

export const isAccessEvent = (e: PipelineEvent): e is AccessEvent => e.kind === 'access';
