// With --vmlinux/--modules: the report's call sites and callers get source lines. Each group
// may have been reached through several offsets of the same functions (BAR sizing reads and
// writes from different lines of __pci_read_base); every distinct frame is listed per level.

import { distinctLines, frameLines } from '../symbols/symbolize-frames.js';
import type { Symbolizer } from '../symbols/symbolizer.js';
import type { ReportModel } from './report-model.js';

export async function symbolizeReport(model: ReportModel, sym: Symbolizer): Promise<void> {
  for (const group of model.sites) {
    const levels: ReturnType<typeof distinctLines>[] = [];
    for (const r of group.raw) {
      const lines = await frameLines(sym, r.frames, r.first);
      lines.forEach((l, i) => { levels[i] = distinctLines([...(levels[i] ?? []), l]); });
    }
    group.sources = levels;
  }
}
