// One capture + one composed policy -> the report model: the same pipeline as `check`
// (recordsFromFile -> enrichAndJudge), plus the writes the policy is silent about.

import { lastValueFrom, tap } from 'rxjs';
import { Inventory } from '../identity/inventory.js';
import { RoleMap } from '../policy/device-roles.js';
import { ruleApplies } from '../policy/evaluate-write.js';
import { registerRange } from '../policy/register-range.js';
import type { Policy } from '../policy/policy-types.js';
import { recordsFromFile, resolveFormat } from '../sources/records-from-file.js';
import { selects, type BootSelector } from '../model/boot-selection.js';
import { selectBoot } from '../pipeline/select-boot.js';
import { BootTally } from './boot-summary.js';
import { reportEvents, type ReportEvent } from './report-events.js';
import { ReportBuilder, type ReportModel } from './report-model.js';

export interface BuildReportOptions {
  /** How the capture is named in the report (the path as given: no absolute paths in golden files). */
  name?: string;
  format?: string;
  /** Devices known before the stream (a device-side trace, sysfs). */
  inventory?: Inventory;
  /** Every pipeline event, for callers that also count skipped input. */
  onEvent?: (e: ReportEvent) => void;
  /** `--boot`: only this boot's writes (the old values still come from what went before). */
  boot?: BootSelector;
}

/** Selectors as the report prints them: `bdf=0000:02:00.0`, `vendor=0x1b36,device=0x10`. */
export function describeSelectors(policy: Policy): string[] {
  return policy.preserved.map((p) => Object.entries(p).map(([k, v]) => `${k}=${typeof v === 'number' ? `0x${v.toString(16)}` : String(v)}`).join(','));
}

export async function buildReport(file: string, policy: Policy, opts: BuildReportOptions = {}): Promise<ReportModel> {
  const inventory = opts.inventory ?? new Inventory();
  const format = await resolveFormat(file, opts.format ? { format: opts.format } : {});
  const rules = policy.rules.map((r) => ({ id: r.id, kind: r.kind, severity: r.severity, why: r.why, source: r.source, register: r.register.text }));
  const builder = new ReportBuilder(opts.name ?? file, { sources: policy.sources, rules: policy.rules.length, preserved: describeSelectors(policy) }, rules);
  const boots = new BootTally();
  // The old kernel's devices (--previous-capture) are known before the stream: their class and
  // driver as that capture knew them, until this capture names them itself.
  if (inventory.carried !== null) for (const s of inventory.all()) if (s.given) builder.handle({ kind: 'device', device: s.identity() });
  // Every write is counted for its boot as the judge is handed it (no access events).
  const events = recordsFromFile(file, format).pipe(reportEvents(policy, inventory, (e) => boots.onWrite(e)), tap((e) => boots.onReport(e)), selectBoot(opts.boot, file), tap((e) => {
    opts.onEvent?.(e);
    builder.handle(e);
  }));
  await lastValueFrom(events, { defaultValue: null });
  // Protected devices with no write at all belong in the report too: "untouched" is a result.
  const roles = new RoleMap(inventory, policy.preserved);
  for (const s of inventory.all()) {
    const role = roles.role(s);
    if (role === 'other') continue;
    const id = s.identity();
    // A rule judges this device when it applies to its role and the device has its register.
    const judging = policy.rules.filter((r) => r.kind !== 'expect' && ruleApplies(r, role) && registerRange(r.register, id) !== null);
    builder.protect({ bdf: s.bdf, vendor: id.vendor ?? null, device: id.device ?? null, role }, judging.map((r) => r.id));
  }
  const model = builder.build();
  const sel = opts.boot;
  model.boots = boots.summary(model.devices.map((d) => d.bdf)).filter((b) => sel === undefined || selects(sel, b.boot));
  return model;
}
