// How a resolved frame reads: `drivers/pci/probe.c:213`, with the inlined functions the address
// is in (`drivers/pci/probe.c:213, in inlined pci_write_config_dword include/linux/pci.h:1180`),
// or `drivers/pci/probe.c:179 (function start)` when the trace had no offset to look up.

import type { FrameSource } from './symbolizer.js';

export function sourceText(s: FrameSource): string {
  const at = `${s.place.file}:${s.place.line}`;
  if (!s.exact) return `${at} (function start)`;
  if (s.inlined.length === 0) return at;
  return `${at}, in inlined ${s.inlined.map((p) => `${p.fn} ${p.file}${p.line === null ? '' : `:${p.line}`}`).join(' <- ')}`;
}

/** One frame of a stack as printed and where its code is; `at` null when it stays function+offset. */
export interface FrameLine { frame: string; at: string | null }
