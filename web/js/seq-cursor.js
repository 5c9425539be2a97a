// Which events of the stream this page already has, so that after a reconnect, a server restart or
// a `gap` it resumes at the right `seq` and applies each event exactly once (docs/protocol.md:
// events are de-duplicated by `seq`; a control message's `seq` is the client's cursor).

export class SeqCursor {
  constructor() {
    /** Every event with seq <= floor was applied or does not match the subscription. */
    this.floor = 0;
    /** Applied events above floor (they arrived after a hole not yet accounted for). */
    this.above = new Set();
    /** Lowest `from` of the gaps reported since the last subscribe, or null. */
    this.gapFrom = null;
  }

  /** true when the event is new (apply it), false for a duplicate. */
  accept(seq) {
    if (seq <= this.floor || this.above.has(seq)) return false;
    this.above.add(seq);
    while (this.above.delete(this.floor + 1)) this.floor++;
    return true;
  }

  /** A control message's cursor: every matching event up to it was sent or reported in a gap. */
  cursor(seq) {
    const limit = this.gapFrom === null ? seq : Math.min(seq, this.gapFrom - 1);
    if (limit <= this.floor) return;
    this.floor = limit;
    for (const s of this.above) if (s <= limit) this.above.delete(s);
    while (this.above.delete(this.floor + 1)) this.floor++;
  }

  /** The server dropped events from..to for us: the floor stays below them until re-sent. */
  gap(from) {
    if (from > this.floor && (this.gapFrom === null || from < this.gapFrom)) this.gapFrom = from;
  }

  get hasGap() { return this.gapFrom !== null; }

  /** The server confirmed a subscribe from resumeFrom(): it re-sends everything from there. */
  subscribed() { this.gapFrom = null; }

  /** The `from` to subscribe with: the first event not yet accounted for. */
  resumeFrom() { return this.floor + 1; }
}
