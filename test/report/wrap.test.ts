import { describe, expect, it } from 'vitest';
import { GLUE, wrap } from '../../src/report/wrap.js';

describe('wrap', () => {
  it('breaks at spaces with a hanging indent', () => {
    expect(wrap('aaa bbb ccc ddd', 9, '  ', '    ')).toEqual(['  aaa bbb', '    ccc', '    ddd']);
  });
  it('never exceeds the width: a word longer than a line is cut', () => {
    const lines = wrap(`x ${'y'.repeat(30)} z`, 12, '', '  ');
    expect(lines).toEqual(['x', `  ${'y'.repeat(10)}`, `  ${'y'.repeat(10)}`, `  ${'y'.repeat(10)}`, '  z']);
    expect(lines.every((l) => l.length <= 12)).toBe(true);
  });
  it('keeps glued words together and prints the glue as a space', () => {
    expect(wrap(`a ${['0x1', '->', '0x2'].join(GLUE)} b`, 11)).toEqual(['a', '0x1 -> 0x2', 'b']);
    // Glued words longer than a line are still cut: the width is a hard limit.
    expect(wrap(['0x1', '->', '0x2'].join(GLUE), 8)).toEqual(['0x1 -> 0', 'x2']);
  });
  it('an empty text is one (indented, trimmed) empty line', () => {
    expect(wrap('', 10, '  ')).toEqual(['']);
  });
  it('refuses an indent as wide as the line', () => {
    expect(() => wrap('a', 4, '    ')).toThrow(RangeError);
  });
});
