// `cfgscope diff <base capture> <new capture>`: what a kernel change did to config accesses, between
// two runs of the same machine. Exit status as diff(1): 0 no differences, 1 differences found.

import type { Command } from 'commander';
import { summarizeCapture, type SummaryOptions } from '../diff/access-summary.js';
import { diffSummaries, isEmptyDiff } from '../diff/diff-summaries.js';
import { renderDiffNdjson, renderDiffText } from '../diff/diff-text.js';
import { symbolizeDiff } from '../diff/symbolize-diff.js';
import type { CliIo, CliResult } from './cli-types.js';
import { inputFormatOption, retiredFormatOption, type InputFormatOptions } from './input-format-option.js';
import { BOOT_HELP, parseBootArg } from './boot-option.js';
import type { BootSelector } from '../model/boot-selection.js';
import { UsageError } from '../model/errors.js';
import { SkipTally } from './skipped-report.js';
import { addSymbolOptions, openSymbolizer, reportUnresolved, type SymbolOptions } from './symbol-options.js';

export const EXIT_DIFFERENT = 1;

interface DiffOptions extends SymbolOptions, InputFormatOptions { json?: boolean; ignorePhases?: boolean; boot?: BootSelector[] }

export function diffCommand(program: Command, io: CliIo, result: CliResult): void {
  const cmd = program.command('diff')
    .description('call sites and register writes that appeared, vanished or changed values between two captures of the same machine')
    .argument('<base>', 'capture (or raw trace) of the run before the change')
    .argument('<new>', 'capture (or raw trace) of the run after it')
    .option('--json', 'emit NDJSON: one object per difference, then diff-totals')
    .option('--ignore-phases', 'match accesses across phases (by device, call site and register only)')
    .addOption(inputFormatOption('input format of both files instead of detecting it'))
    .addOption(retiredFormatOption('diff', '--json for NDJSON'))
    // The one --boot parser, given once (both inputs) or twice (base, then new): kernel 1 against
    // kernel 2 of one kexec capture is `diff k.ndjson k.ndjson --boot 1 --boot 2`.
    .option('--boot <N|handover>', `${BOOT_HELP}; once for both inputs, or twice: the base's, then the new one's`, (v: string, prev?: BootSelector[]) => [...(prev ?? []), parseBootArg(v)]);
  addSymbolOptions(cmd)
    .action(async (baseFile: string, newFile: string, opts: DiffOptions) => {
      const sym = await openSymbolizer(opts, [baseFile, newFile], io, opts.inputFormat);
      if ((opts.boot?.length ?? 0) > 2) throw new UsageError('BOOT_BAD_VALUE', '--boot: at most twice in diff (the base\'s boot, then the new capture\'s)');
      const summarize = async (file: string, boot: BootSelector | undefined) => {
        const skipped = new SkipTally();
        // Frames are kept only for --vmlinux: they are per device, phase and call site.
        const o: SummaryOptions = { ignorePhases: opts.ignorePhases ?? false, frames: sym !== null, onEvent: (e) => { if (e.kind === 'skipped') skipped.add(e.record); } };
        if (opts.inputFormat) o.format = opts.inputFormat;
        if (boot) o.boot = boot;
        const s = await summarizeCapture(file, o);
        skipped.report(file, io);
        return s;
      };
      const base = await summarize(baseFile, opts.boot?.[0]);
      const next = await summarize(newFile, opts.boot?.[1] ?? opts.boot?.[0]);
      const d = diffSummaries(base, next);
      if (sym) {
        try {
          await symbolizeDiff(d, base, next, sym);
        } finally {
          sym.close();
        }
        reportUnresolved(sym, io);
      }
      io.stdout(opts.json ? renderDiffNdjson(d) : renderDiffText(d));
      if (!isEmptyDiff(d)) result.code = EXIT_DIFFERENT;
    });
}
