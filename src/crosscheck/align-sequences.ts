// Aligns two sequences where only some pairs may match: the most matches, and among alignments
// with as many matches, the one with the fewest gaps. Plain longest-common-subsequence is not
// enough here: writes only the device side saw come in blocks (the old kernel's shutdown before a
// kexec, ACPI methods), and LCS happily pairs the new kernel's first writes with such a block when
// widths happen to fit, shifting everything after it. Charging for opening a gap (affine gaps,
// as in Gotoh's algorithm) keeps each block in one piece.

const GAP_OPEN = 1;

/** Previous move: 0 match (or start), 1 skipped an `a` element, 2 skipped a `b` element. */
type Move = 0 | 1 | 2;

/**
 * Pairs [i, j] of matched positions, in order. `score(i, j)` is 0 when a[i] may not pair with b[j],
 * else the pair's worth (at least 2, so a match always outweighs the gap it saves opening).
 */
export function alignWithGaps(n: number, m: number, score: (i: number, j: number) => number): [number, number][] {
  const w = m + 1;
  // best[prev][i*w+j]: best score of aligning a[i..] with b[j..] when the previous move was `prev`.
  const best = [new Float64Array((n + 1) * w), new Float64Array((n + 1) * w), new Float64Array((n + 1) * w)] as const;
  const options = (i: number, j: number, prev: Move): [number, number, number] => {
    const s = i < n && j < m ? score(i, j) : 0;
    return [
      s > 0 ? s + best[0][(i + 1) * w + j + 1]! : -Infinity,
      i < n ? (prev === 1 ? 0 : -GAP_OPEN) + best[1][(i + 1) * w + j]! : -Infinity,
      j < m ? (prev === 2 ? 0 : -GAP_OPEN) + best[2][i * w + j + 1]! : -Infinity,
    ];
  };
  for (let i = n; i >= 0; i--) {
    for (let j = m; j >= 0; j--) {
      if (i === n && j === m) continue;
      for (const prev of [0, 1, 2] as const) best[prev][i * w + j] = Math.max(...options(i, j, prev));
    }
  }
  const pairs: [number, number][] = [];
  let i = 0;
  let j = 0;
  let prev: Move = 0;
  while (i < n || j < m) {
    const [match, skipA, skipB] = options(i, j, prev);
    const top = Math.max(match, skipA, skipB);
    // Ties: match first, then keep extending the gap already open.
    if (match === top) { pairs.push([i, j]); i++; j++; prev = 0; }
    else if (skipB === top && (prev === 2 || skipA !== top)) { j++; prev = 2; }
    else { i++; prev = 1; }
  }
  return pairs;
}

/**
 * alignWithGaps, but among equally good alignments the one pairing with the latest `b` elements:
 * a block of `b`-only elements before the pairs stays unpaired (the old kernel's shutdown writes
 * at the start of a kexec'd kernel's boot repeat values the new kernel writes; pairing earliest
 * would pair the new kernel's first write with one of them).
 */
export function alignWithGapsLatest(n: number, m: number, score: (i: number, j: number) => number): [number, number][] {
  return alignWithGaps(n, m, (i, j) => score(n - 1 - i, m - 1 - j))
    .map(([i, j]): [number, number] => [n - 1 - i, m - 1 - j])
    .reverse();
}
