// `--vmlinux <file>` and `--modules <dir>` of report, check and diff: source lines for call sites
// and stack frames. The files must be of the kernel the capture was made on (its header's
// release against vmlinux's linux_banner and each module's vermagic); frames that cannot be
// resolved stay function+offset and are counted on standard error.

import type { Command } from 'commander';
import { filter, firstValueFrom } from 'rxjs';
import type { HeaderRecord } from '../model/records.js';
import { recordsFromFile, resolveFormat } from '../sources/records-from-file.js';
import { Symbolizer } from '../symbols/symbolizer.js';
import type { CliIo } from './cli-types.js';

export interface SymbolOptions { vmlinux?: string; modules?: string }

export function addSymbolOptions(cmd: Command): Command {
  return cmd
    .option('--vmlinux <file>', 'vmlinux with debug info (Debian: linux-image-*-dbg, /usr/lib/debug/boot/vmlinux-*): call sites and frames get file:line')
    .option('--modules <dir>', 'folder of the kernel modules (.ko) with debug info, searched recursively');
}

/** The kernel release a capture's header names, or null. Reads only up to the header. */
export async function captureRelease(file: string, format?: string): Promise<string | null> {
  const fmt = await resolveFormat(file, format ? { format } : {});
  const header = await firstValueFrom(recordsFromFile(file, fmt).pipe(filter((r): r is HeaderRecord => r.t === 'header')), { defaultValue: null });
  return header?.kernel?.release ?? null;
}

/** A symbolizer for the given files, checked against every capture; null without --vmlinux/--modules. */
export async function openSymbolizer(opts: SymbolOptions, captures: string[], io: CliIo, format?: string): Promise<Symbolizer | null> {
  if (!opts.vmlinux && !opts.modules) return null;
  const sym = new Symbolizer({ ...(opts.vmlinux ? { vmlinux: opts.vmlinux } : {}), ...(opts.modules ? { modules: opts.modules } : {}) });
  try {
    for (const c of captures) {
      const said = sym.checkRelease(await captureRelease(c, format), c);
      if (said.startsWith('the capture does not')) io.stderr(`cfgscope: ${c}: ${said}\n`);
    }
  } catch (e) {
    sym.close();
    throw e;
  }
  for (const m of sym.modulesWithoutDebugInfo) io.stderr(`cfgscope: ${m} has no debug info: its frames stay function+offset\n`);
  return sym;
}

/** The closing note: how many distinct frames kept function+offset, and why. */
export function reportUnresolved(sym: Symbolizer, io: CliIo): void {
  const lines = sym.unresolvedSummary();
  if (lines.length === 0) return;
  io.stderr(`cfgscope: frames left as function+offset (distinct frames, by reason):\n${lines.map((l) => `  ${l}\n`).join('')}`);
}
