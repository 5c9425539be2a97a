// What a run with a policy emits besides the enricher's events, and the totals it keeps: the
// judge's findings per write, target rules checked when their phase or the trace ends, and the
// counts `check` prints last. enrichAndJudge (enrich-and-judge.ts) is the one place that runs it.

import type { AccessEvent, EndEvent, PipelineEvent, Role } from '../model/events.js';
import type { DeviceState } from '../identity/inventory.js';
import type { BootSelector } from '../model/boot-selection.js';
import { checkTargets } from '../policy/check-targets.js';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import type { Finding, TargetFinding, UnattributedWrite } from '../policy/findings.js';
import { protectedWrite, type Judgement } from '../policy/judge.js';

export interface CheckTotals {
  kind: 'check-totals';
  /** Known writes seen, and those to devices the policy protects. */
  writes: number;
  protectedWrites: number;
  /** Writes to protected devices that kept every protected bit (the precise policy's passes). */
  sameValue: number;
  /** Writes to protected devices whose old value is unknown (`?`), and those whose old value is
   *  the previous kernel's (`--previous-capture`): the report's "old value unknown for N of M". */
  oldUnknown: number;
  oldCarried: number;
  violations: number;
  expected: number;
  unattributed: number;
  // boot: set by `--boot` (select-boot.ts): the three counts above are that boot's
  boot?: BootSelector;
}

export type CheckEvent = Finding | TargetFinding | UnattributedWrite | CheckTotals | Exclude<PipelineEvent, AccessEvent>;

/** The devices of the run and their roles now, as target rules are checked against them. */
export interface DeviceModel {
  devices(): readonly DeviceState[];
  roleOf(dev: DeviceState): Role;
}

/** Per run: counts the judge's findings and checks target rules at phase ends. */
export class CheckRun {
  readonly totals: CheckTotals = { kind: 'check-totals', writes: 0, protectedWrites: 0, sameValue: 0, oldUnknown: 0, oldCarried: 0, violations: 0, expected: 0, unattributed: 0 };
  private phase = 'boot';

  constructor(private readonly policy: CompiledPolicy, private readonly model: DeviceModel) {}

  /** Counts one write's judgement. */
  count(e: AccessEvent, found: readonly Judgement[]): void {
    const t = this.totals;
    if (e.device !== null && protectedWrite(e, this.policy)) {
      t.protectedWrites++;
      if (found.length === 0) t.sameValue++;
      if (e.old === null) t.oldUnknown++;
      else if (e.oldOrigin !== undefined) t.oldCarried++;
    }
    for (const f of found) {
      if (f.kind === 'unattributed') t.unattributed++;
      else if (f.verdict === 'violation') t.violations++;
      else t.expected++;
    }
  }

  /** Target findings due before `e` (the end of a phase, of the trace), then the totals at the end. */
  *before(e: PhaseOrEnd): Generator<TargetFinding | CheckTotals> {
    yield* this.targets(this.phase);
    if (e.kind === 'phase') {
      this.phase = e.phase.label;
      return;
    }
    yield* this.targets('end');
    this.totals.writes = e.knownWrites;
    yield this.totals;
  }

  private *targets(at: 'end' | string): Generator<TargetFinding> {
    for (const t of checkTargets(this.policy.index.targets(at), this.model.devices(), (d) => this.model.roleOf(d))) {
      if (t.verdict === 'violation') this.totals.violations++;
      yield t;
    }
  }
}

type PhaseOrEnd = Extract<PipelineEvent, { kind: 'phase' }> | EndEvent;
