// The fleet's answer, built one finding message at a time: violations per kernel release, device
// identity, register and call site, with the machines and runs they came from and when they were
// first and last seen. Memory grows with the number of distinct (kernel, device, register, call
// site) keys and the machines and runs per key, never with the number of messages.

import type { Envelope, FleetFinding } from './fleet-message.js';

export interface FleetRow {
  kernel: string;
  identity: string;
  register: string;
  callSite: string;
  violations: number;
  rules: Set<string>;
  machines: Set<string>;
  runs: Set<string>;
  first: number;
  last: number;
}

export interface TallyFilter {
  /** Wall-clock milliseconds: findings made before it are left out. */
  since?: number;
  kernel?: string;
}

const UNKNOWN_KERNEL = '(kernel release unknown)';
const UNKNOWN_SITE = '(call site unknown)';

export class FleetTally {
  readonly rows = new Map<string, FleetRow>();
  messages = 0;
  findings = 0;
  /** Findings that are not violations (expected writes, met targets), and those filtered out. */
  notViolations = 0;
  filtered = 0;
  /** Messages that are not version-1 finding envelopes (a newer publisher): counted, not read. */
  unreadable = 0;

  constructor(private readonly filter: TallyFilter = {}) {}

  /** Tallies one message; `touched`, when given, gets every row the message changed (the live
   *  view of `serve --from` sends those, not the whole table). */
  add(env: Envelope<FleetFinding> | null, touched?: Set<FleetRow>): void {
    this.messages++;
    if (!env || env.v !== 1 || env.kind !== 'finding' || !Array.isArray(env.r)) {
      this.unreadable++;
      return;
    }
    const kernel = env.kernel ?? UNKNOWN_KERNEL;
    for (const f of env.r) {
      this.findings++;
      if ((this.filter.since !== undefined && env.at < this.filter.since) || (this.filter.kernel !== undefined && kernel !== this.filter.kernel)) {
        this.filtered++;
        continue;
      }
      if (f.verdict !== 'violation') {
        this.notViolations++;
        continue;
      }
      const register = f.register ?? '?';
      const callSite = f.callSite ?? UNKNOWN_SITE;
      const key = `${kernel}\0${f.identity}\0${register}\0${callSite}`;
      let row = this.rows.get(key);
      if (!row) {
        row = { kernel, identity: f.identity, register, callSite, violations: 0, rules: new Set(), machines: new Set(), runs: new Set(), first: env.at, last: env.at };
        this.rows.set(key, row);
      }
      row.violations++;
      if (f.rule) row.rules.add(f.rule);
      row.machines.add(env.machine);
      row.runs.add(`${env.machine}/${env.run}`);
      if (env.at < row.first) row.first = env.at;
      if (env.at > row.last) row.last = env.at;
      touched?.add(row);
    }
  }

  /** Violations over every row. */
  violations(): number {
    let n = 0;
    for (const r of this.rows.values()) n += r.violations;
    return n;
  }

  /** Rows by kernel, then most violations first, then by name (a stable order for diffs). */
  sorted(): FleetRow[] {
    return [...this.rows.values()].sort((a, b) => a.kernel.localeCompare(b.kernel)
      || a.identity.localeCompare(b.identity)
      || b.violations - a.violations
      || a.register.localeCompare(b.register)
      || a.callSite.localeCompare(b.callSite));
  }
}

/** A row as JSON: `fleet --json`'s `row` lines and the fleet view's rows on the websocket
 *  (docs/fleet.md, docs/protocol.md) are this one shape. */
export function rowJson(r: FleetRow): Record<string, unknown> {
  return {
    kernel: r.kernel, identity: r.identity, register: r.register, callSite: r.callSite,
    violations: r.violations, rules: [...r.rules].sort(), machines: [...r.machines].sort(), runs: r.runs.size,
    firstSeen: new Date(r.first).toISOString(), lastSeen: new Date(r.last).toISOString(),
  };
}

/** The tally's counts (`fleet --json`'s `totals` line without its type). */
export function totalsJson(t: FleetTally): Record<string, number> {
  return { messages: t.messages, findings: t.findings, violations: t.violations(), notViolations: t.notViolations, filtered: t.filtered, unreadable: t.unreadable };
}
