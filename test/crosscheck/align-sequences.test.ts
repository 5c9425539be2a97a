import { describe, expect, it } from 'vitest';
import { alignWithGaps } from '../../src/crosscheck/align-sequences.js';

// Letters stand for access widths; a pair fits when the letters are equal.
const align = (a: string, b: string): string => alignWithGaps(a.length, b.length, (i, j) => (a[i] === b[j] ? 2 : 0))
  .map(([i, j]) => `${i}:${j}`).join(' ');

describe('alignWithGaps', () => {
  it('keeps a block of extra b elements in one piece instead of pairing into it', () => {
    // b = a block "wd" only b has (the old kernel's shutdown writes), then a's own "dww". Pairing
    // a's "d" with the block's "d" (what earliest-match LCS does) splits b's extras into two gaps.
    expect(align('dww', 'wddww')).toBe('0:2 1:3 2:4');
  });

  it('prefers the pair worth more when widths tie otherwise', () => {
    const pairs = alignWithGaps(1, 2, (_i, j) => (j === 1 ? 3 : 2));
    expect(pairs).toEqual([[0, 1]]);
  });

  it('handles empty sides', () => {
    expect(alignWithGaps(0, 3, () => 2)).toEqual([]);
    expect(alignWithGaps(2, 0, () => 2)).toEqual([]);
  });
});
