// Which events of the stream a client already has, so that after a reconnect, a server restart
// or a `gap` it resumes at the right `seq` and handles each event once (docs/protocol.md: events
// are de-duplicated by `seq`; a control message's `seq` is the client's cursor). The protocol's
// client side, kept with the server like close-codes.ts: `watch` imports it, and the page gets it
// as /js/seq-cursor.js, made from this class (page-modules.ts), so it must use nothing outside it.

export class SeqCursor {
  /** Every event with seq <= floor was handled or does not match the subscription. */
  private floor = 0;
  /** Handled events above floor (they came after a hole not yet accounted for). */
  private readonly above = new Set<number>();
  /** Lowest `from` of the gaps reported since the last subscribe. */
  private gapFrom: number | null = null;

  /** true when the event is new (handle it), false for a duplicate. */
  accept(seq: number): boolean {
    if (seq <= this.floor || this.above.has(seq)) return false;
    this.above.add(seq);
    while (this.above.delete(this.floor + 1)) this.floor++;
    return true;
  }

  /** A control message's cursor: every matching event up to it was sent or reported in a gap. */
  cursor(seq: number): void {
    const limit = this.gapFrom === null ? seq : Math.min(seq, this.gapFrom - 1);
    if (limit <= this.floor) return;
    this.floor = limit;
    for (const s of this.above) if (s <= limit) this.above.delete(s);
    while (this.above.delete(this.floor + 1)) this.floor++;
  }

  /** The server dropped events from `from` on for this client: the floor stays below until re-sent. */
  gap(from: number): void {
    if (from > this.floor && (this.gapFrom === null || from < this.gapFrom)) this.gapFrom = from;
  }

  /** The server confirmed a subscribe from resumeFrom(): it re-sends everything from there. */
  subscribed(): void { this.gapFrom = null; }

  resumeFrom(): number { return this.floor + 1; }

  get handledUpTo(): number { return this.floor; }
}
