// Accesses and nested hits per `layer, op` (`bus, w`), the key bpftrace's @count map uses: one
// counter object per layer (the last one used kept at hand: accesses come in runs of one layer)
// instead of a key built and hashed per record; folded into a map, in first-seen order, at the end.

interface Counters { layer: string; r: number; w: number; nested: number }
type What = 'r' | 'w' | 'nested';

export class LayerCounts {
  private readonly layers = new Map<string, Counters>();
  private readonly seenOrder: [Counters, What][] = [];
  private lastAccess: Counters | null = null;
  private lastNested: Counters | null = null;
  /** Keys in first-seen order (their values are filled in by fold). */
  readonly byLayer = new Map<string, number>();

  access(layer: string, op: 'r' | 'w'): void {
    let c = this.lastAccess;
    if (c === null || c.layer !== layer) this.lastAccess = c = this.countersOf(layer);
    if (op === 'r') {
      if (c.r++ === 0) this.first(c, 'r');
    } else if (c.w++ === 0) this.first(c, 'w');
  }

  nested(layer: string): void {
    let c = this.lastNested;
    if (c === null || c.layer !== layer) this.lastNested = c = this.countersOf(layer);
    if (c.nested++ === 0) this.first(c, 'nested');
  }

  /** The counts per key, in first-seen order. */
  fold(): Map<string, number> {
    for (const [c, what] of this.seenOrder) this.byLayer.set(`${c.layer}, ${what}`, c[what]);
    return this.byLayer;
  }

  private countersOf(layer: string): Counters {
    let c = this.layers.get(layer);
    if (!c) {
      c = { layer, r: 0, w: 0, nested: 0 };
      this.layers.set(layer, c);
    }
    return c;
  }

  private first(c: Counters, what: What): void {
    this.seenOrder.push([c, what]);
    this.byLayer.set(`${c.layer}, ${what}`, 0); // holds the key's place in first-seen order
  }
}
