// What the page knows of a fleet view (`serve --from nats://`, docs/protocol.md "The fleet
// view"): the rows by kernel release, device identity, register and call site, each replaced
// whole by a newer one (rows only grow), the tally's totals and the feed's state. A snapshot
// brings every row; `fleet-rows` events the ones that changed.

export const rowKey = (r) => `${r.kernel}\u0000${r.identity}\u0000${r.register}\u0000${r.callSite}`;

export class FleetStore {
  constructor() {
    /** key -> row as `fleet --json` prints it. */
    this.rows = new Map();
    this.totals = null;
    /** { state: connecting|waiting-for-stream|live|stalled, reason, since } */
    this.feed = null;
    /** Bumped on every change: the view redraws only when it moved. */
    this.version = 0;
  }

  put(rows) {
    for (const r of rows) this.rows.set(rowKey(r), r);
  }

  /** A `fleet-snapshot` part: the state as of its seq (part 1 of n, ...). */
  snapshot(m) {
    this.put(m.rows);
    this.totals = m.totals;
    this.feed = m.state;
    this.version++;
  }

  apply(m) {
    if (m.type === 'fleet-rows') { this.put(m.rows); this.totals = m.totals; }
    else if (m.type === 'fleet-state') this.feed = { state: m.state, reason: m.reason, since: m.since };
    this.version++;
  }

  /** As `cfgscope fleet` orders them: kernel, device, most violations, register, call site. */
  sorted() {
    return [...this.rows.values()].sort((a, b) => a.kernel.localeCompare(b.kernel)
      || a.identity.localeCompare(b.identity)
      || b.violations - a.violations
      || a.register.localeCompare(b.register)
      || a.callSite.localeCompare(b.callSite));
  }
}
