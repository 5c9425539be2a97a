// `diff --vmlinux`: each call site that appeared, vanished or changed gets the source lines of
// the frames it was seen at, in the capture that has it (the new one unless it vanished).

import { sourceText } from '../symbols/source-text.js';
import type { Symbolizer } from '../symbols/symbolizer.js';
import { siteKey, type CaptureSummary } from './access-summary.js';
import type { DiffResult } from './diff-summaries.js';

export async function symbolizeDiff(d: DiffResult, base: CaptureSummary, next: CaptureSummary, sym: Symbolizer): Promise<void> {
  for (const x of [...d.sites, ...d.writes]) {
    const site = (x.change === 'vanished' ? base : next).sites.get(siteKey(x));
    const lines: string[] = [];
    for (const [frame, at] of site?.frames ?? []) {
      const r = await sym.resolve(frame, at === 0 ? 'entry' : 'return');
      const text = typeof r === 'string' ? frame : sourceText(r);
      if (!lines.includes(text)) lines.push(text);
    }
    if (lines.length > 0) x.source = lines.sort();
  }
}
