import { describe, expect, it } from 'vitest';
import { jsonErrorOffset, lineColumn } from '../../src/policy/policy-json-error.js';

describe('jsonErrorOffset', () => {
  it('agrees with JSON.parse on what is valid', () => {
    for (const text of ['{}', '[]', ' 1 ', '{"a": [1, -2.5e3, true, false, null, "x\\u00e9\\n"]}', '"s"']) {
      expect(() => JSON.parse(text)).not.toThrow();
      expect(jsonErrorOffset(text)).toBe(-1);
    }
  });

  it.each([
    ['{"a": 1,}', 8, 'trailing comma in an object: at the }'],
    ['[1,]', 3, 'trailing comma in an array: at the ]'],
    ['{"a": 1 "b": 2}', 8, 'missing comma'],
    ['{\n  // note\n  "a": 1\n}', 4, 'a comment'],
    ['{"a": "x\\q"}', 8, 'a bad escape'],
    ['{"a": "x\ny"}', 8, 'a raw newline in a string'],
    ['{"a": 01}', 7, 'a leading zero: 0 ends the number'],
    ['{"a": 1} x', 9, 'text after the value'],
    ['{"a": ', 6, 'the end of the input'],
    ["{'a': 1}", 1, 'single quotes'],
  ])('%j fails at %i (%s)', (text, offset) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(jsonErrorOffset(text)).toBe(offset);
  });

  it('counts lines and columns from 1', () => {
    expect(lineColumn('ab\ncd', 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });
});

describe('jsonErrorOffset on deep nesting', () => {
  it('stops at 1000 levels with an offset instead of overflowing the stack (found by npm run fuzz)', () => {
    const text = `${'['.repeat(100_000)}1${']'.repeat(100_000)}x`;
    expect(jsonErrorOffset(text)).toBe(1000);
  });
});
