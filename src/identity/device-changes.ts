// Which devices changed (identity, config bytes) since a reader last looked: what lets the policy's
// device roles be kept up to date by looking at the devices that changed instead of at every
// device the stream has named (a scan can name hundreds of thousands). One per inventory.

/** Anything a reader wants to hear about: the inventory's DeviceState. */
export interface Changing {
  /** drains when this was last noted; see DeviceChanges.note */
  noted: number;
}

export class DeviceChanges<T extends Changing> {
  private readonly readers: Set<T>[] = [];
  /** Counts drains by any reader. A thing noted since the last drain is in every reader's set
   *  already (note adds to all), so it is skipped: a write costs a comparison, not a hash. */
  private drains = 0;

  /** A new reader; it hears of every change from now on (and of `existing` now). */
  watch(existing: Iterable<T>): Set<T> {
    const set = new Set<T>(existing);
    this.readers.push(set);
    return set;
  }

  note(t: T): void {
    if (t.noted === this.drains || this.readers.length === 0) return;
    t.noted = this.drains;
    for (const r of this.readers) r.add(t);
  }

  /** The reader's changed things, emptied: the caller owns the returned array. */
  drain(reader: Set<T>): T[] {
    const out = [...reader];
    reader.clear();
    this.drains++;
    return out;
  }
}
