// `cfgscope report <capture> --policy ... [--preserve bdf] [--format markdown|email|junit]`:
// justification notes for patch review, grouped by call site, from the same pipeline as `check`,
// plus the writes no rule covers (what the patch author must still justify). The report is a
// review document, not a gate: the exit status is 0 whatever it finds (`check` gates CI; a JUnit
// consumer fails the build from the XML's failures).

import { InvalidArgumentError, type Command } from 'commander';
import { inventoryFrom } from '../identity/device-records.js';
import type { EndEvent } from '../model/events.js';
import { resolveFormat } from '../sources/records-from-file.js';
import { buildReport } from '../report/build-report.js';
import { symbolizeReport } from '../report/symbolize-report.js';
import type { ReportModel } from '../report/report-model.js';
import { refuseOutputIsInput, writeWholeFile } from '../sinks/atomic-file.js';
import { renderJunit } from '../sinks/junit-report.js';
import { renderEmail } from '../sinks/report-email.js';
import { renderMarkdown } from '../sinks/report-markdown.js';
import type { CliIo, CliResult } from './cli-types.js';
import { inputFormatHint, inputFormatOption, type InputFormatOptions } from './input-format-option.js';
import { parseBdfArg, policyForRun } from './policy-options.js';
import { repeatable } from './repeatable.js';
import { SkipTally } from './skipped-report.js';
import { warnIfIncomplete } from './capture-state.js';
import { addBootOption } from './boot-option.js';
import { addPreviousCaptureOption, carriedText, reportCarried, withPrevious } from './previous-capture-option.js';
import type { BootSelector } from '../model/boot-selection.js';
import { addSymbolOptions, openSymbolizer, reportUnresolved, type SymbolOptions } from './symbol-options.js';

export const REPORT_FORMATS = { markdown: renderMarkdown, email: renderEmail, junit: renderJunit } as const satisfies Record<string, (m: ReportModel) => string>;
export type ReportFormat = keyof typeof REPORT_FORMATS;

interface ReportOptions extends SymbolOptions, InputFormatOptions {
  policy: string[];
  preserve?: string[];
  format: ReportFormat;
  output?: string;
  devices?: string[];
  boot?: BootSelector;
  previousCapture?: string;
}


function parseReportFormat(v: string): ReportFormat {
  if (!Object.hasOwn(REPORT_FORMATS, v)) throw new InvalidArgumentError(`one of ${Object.keys(REPORT_FORMATS).join(', ')}${inputFormatHint(v)}`);
  return v as ReportFormat;
}

export function reportCommand(program: Command, io: CliIo, _result: CliResult): void {
  const cmd = program.command('report')
    .description('justification notes for patch review: every write to a protected device by call site, with its verdict and reason')
    .argument('<capture>', 'capture file or raw trace')
    .requiredOption('-p, --policy <file|builtin>', 'policy file or builtin (luo-strict, luo-busmaster, luo-default); repeat to compose, in order', repeatable)
    .option('--preserve <bdf>', 'mark this device preserved, in addition to the policy\'s own selectors (repeatable)', parseBdfArg)
    .option('--format <format>', 'markdown (review tools), email (plain text, 72 columns), junit (CI test results)', parseReportFormat, 'markdown')
    .option('-o, --output <file>', 'write the report to this file instead of standard output')
    .option('-d, --devices <source>', 'device identity from a device-side trace, a capture or sysfs[:path] (repeatable)', repeatable)
    .addOption(inputFormatOption());
  addBootOption(cmd);
  addPreviousCaptureOption(cmd);
  addSymbolOptions(cmd)
    .action(async (file: string, opts: ReportOptions) => {
      // Before anything is read: a report written over its capture or policy would destroy it.
      if (opts.output) refuseOutputIsInput(opts.output, [file, ...opts.policy, ...(opts.devices ?? []), opts.vmlinux, opts.previousCapture]);
      const policy = await policyForRun(opts.policy, opts.preserve ?? [], io, 'no report was made');
      const sym = await openSymbolizer(opts, [file], io, opts.inputFormat);
      const inventory = await inventoryFrom(opts.devices ?? []);
      const previous = await withPrevious(inventory, opts.previousCapture);
      const skipped = new SkipTally();
      let trailer: EndEvent['trailer'] = 'missing';
      const model = await buildReport(file, policy, {
        inventory, ...(opts.inputFormat ? { format: opts.inputFormat } : {}), ...(opts.boot ? { boot: opts.boot } : {}),
        onEvent: (e) => {
          if (e.kind === 'skipped') skipped.add(e.record);
          if (e.kind === 'end') trailer = e.trailer;
        },
      });
      if (previous) model.previous = { text: carriedText(previous), notices: previous.notices.map((n) => `${n.code}: ${n.message}`) };
      if (sym) {
        try {
          await symbolizeReport(model, sym);
        } finally {
          sym.close();
        }
        reportUnresolved(sym, io);
      }
      const text = REPORT_FORMATS[opts.format](model);
      // Replaced whole or not at all: a failed write leaves an earlier report as it was.
      if (opts.output) writeWholeFile(opts.output, text);
      else io.stdout(text);
      if (skipped.total > 0) io.stderr(`cfgscope report: ${skipped.total} input line(s) skipped; the report covers the rest\n`);
      reportCarried('report', previous, io);
      skipped.report(file, io);
      warnIfIncomplete('report', file, await resolveFormat(file, opts.inputFormat ? { format: opts.inputFormat } : {}), trailer, io);
    });
}
