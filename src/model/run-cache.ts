// A per-object cache whose entries are made on first use and that remembers the last key it was
// asked about. The pipeline asks about one device (one layout, one identity) many times in a row:
// a comparison answers those, and the hashed WeakMap lookup is left for a change of key (a
// WeakMap get on every write cost more than the write itself on the plain ones). Entries live as
// long as their key.

export class RunCache<K extends object, V> {
  private readonly entries = new WeakMap<K, V>();
  private lastKey: K | null = null;
  private lastValue: V | undefined = undefined;

  constructor(private readonly make: (key: K) => V) {}

  get(key: K): V {
    if (key === this.lastKey) return this.lastValue!;
    let v = this.entries.get(key);
    if (v === undefined) {
      v = this.make(key);
      this.entries.set(key, v);
    }
    this.lastKey = key;
    this.lastValue = v;
    return v;
  }
}
