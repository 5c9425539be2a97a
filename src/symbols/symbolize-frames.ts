// Source lines for the frames a report or diff prints: the call site and its callers, taken
// from a stack at a known index (the index decides the lookup: the stack's first frame is the
// probed function's entry, every other frame a return address).

import { sourceText, type FrameLine } from './source-text.js';
import type { Symbolizer } from './symbolizer.js';

/** `frames` start at index `first` of their stack. */
export async function frameLines(sym: Symbolizer, frames: readonly string[], first: number): Promise<FrameLine[]> {
  return Promise.all(frames.map(async (frame, i) => {
    const r = await sym.resolve(frame, first + i === 0 ? 'entry' : 'return');
    return { frame, at: typeof r === 'string' ? null : sourceText(r) };
  }));
}

/** Distinct lines, first seen first. */
export function distinctLines(lines: readonly FrameLine[]): FrameLine[] {
  const seen = new Set<string>();
  return lines.filter((l) => {
    const k = `${l.frame}|${l.at ?? ''}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
