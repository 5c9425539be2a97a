// Proves (or fails to prove) that a bpftrace capture lost nothing: the probes keep an in-kernel
// count per (layer, op) (`@count`, lossless, printed at exit); every event is either printed or
// announced lost. Printed + lost == counted is proof. Fewer printed means events vanished without
// a `Lost` line (bpftrace drops what is still buffered when it gets SIGINT): not proven lossless.

export interface Reconciliation {
  status: 'balanced' | 'short' | 'excess' | 'no-counts';
  printed: number;
  lost: number;
  counted: number;
  /** Per `layer, op` key: printed and counted, where they differ. */
  differences: { key: string; printed: number; counted: number }[];
}

/** `printed` is keyed `layer, op` like the probe's map (`bus, w`); `counts` are the map's entries. */
export function reconcileCounts(printed: ReadonlyMap<string, number>, counts: ReadonlyMap<string, number>, lost: number): Reconciliation {
  const sum = (m: ReadonlyMap<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
  const p = sum(printed);
  const c = sum(counts);
  if (counts.size === 0) return { status: 'no-counts', printed: p, lost, counted: 0, differences: [] };
  const differences = [...new Set([...printed.keys(), ...counts.keys()])]
    .map((key) => ({ key, printed: printed.get(key) ?? 0, counted: counts.get(key) ?? 0 }))
    .filter((d) => d.printed !== d.counted);
  const status = p + lost === c ? 'balanced' : p + lost < c ? 'short' : 'excess';
  return { status, printed: p, lost, counted: c, differences };
}
