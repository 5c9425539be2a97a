// `cfgscope check <capture> --policy <file|builtin>...`: every write to a protected device judged
// against the composed policy. Exit status 1 when a violation at or above --fail-on is found, so
// it can gate CI; 65 when the input or the policy is bad.

import { printable } from '../model/escape-text.js';
import type { Command } from 'commander';
import { lastValueFrom, tap, type OperatorFunction } from 'rxjs';
import { inventoryFrom } from '../identity/device-records.js';
import { openPciIds } from '../identity/pci-ids.js';
import type { CheckEvent } from '../pipeline/check-policy.js';
import type { EndEvent } from '../model/events.js';
import { enrichAndJudge } from '../pipeline/enrich-and-judge.js';
import { symbolizeFindings } from '../pipeline/symbolize-findings.js';
import { SEVERITIES, type Severity } from '../policy/policy-types.js';
import { CheckNdjsonSink } from '../sinks/check-ndjson.js';
import { CheckTextSink } from '../sinks/check-text.js';
import { SyncWriter } from '../sinks/sync-writer.js';
import { recordsFromFile, resolveFormat } from '../sources/records-from-file.js';
import type { CliIo, CliResult } from './cli-types.js';
import { fileSourceOptions, inputFormatOption, retiredFormatOption, type InputFormatOptions } from './input-format-option.js';
import { parseBdfArg, parseSeverity, policyForRun } from './policy-options.js';
import { repeatable } from './repeatable.js';
import { SkipTally } from './skipped-report.js';
import { warnIfIncomplete } from './capture-state.js';
import { addBootOption } from './boot-option.js';
import { addPreviousCaptureOption, reportCarried, withPrevious } from './previous-capture-option.js';
import type { BootSelector } from '../model/boot-selection.js';
import { selectBoot } from '../pipeline/select-boot.js';
import { addPublishOptions, finishPublishing, openPublisher, type PublishFlags } from './publish-options.js';
import { addSymbolOptions, openSymbolizer, reportUnresolved, type SymbolOptions } from './symbol-options.js';

export const EXIT_VIOLATION = 1;

interface CheckOptions extends SymbolOptions, InputFormatOptions, PublishFlags {
  policy: string[];
  json?: boolean;
  failOn: Severity;
  devices?: string[];
  expected?: boolean;
  preserve?: string[];
  boot?: BootSelector;
  previousCapture?: string;
}


export function checkCommand(program: Command, io: CliIo, result: CliResult): void {
  const cmd = program.command('check')
    .description('judge every config write in a capture against preservation policies')
    .argument('<capture>', 'capture file or raw trace')
    .requiredOption('-p, --policy <file|builtin>', 'policy file or builtin (luo-strict, luo-busmaster, luo-default); repeat to compose, in order', repeatable)
    .option('--json', 'emit NDJSON findings')
    .option('--fail-on <severity>', 'exit 1 when a violation at or above this severity is found', parseSeverity, 'error')
    .option('--expected', 'also list writes the policy expects (with their justification)')
    .option('--preserve <bdf>', 'mark this device preserved, in addition to the policy\'s own selectors (repeatable)', parseBdfArg)
    .option('-d, --devices <source>', 'device identity from a device-side trace, a capture or sysfs[:path] (repeatable)', repeatable)
    .addOption(inputFormatOption())
    .addOption(retiredFormatOption('check', '--json for NDJSON'));
  addBootOption(cmd);
  addPreviousCaptureOption(cmd);
  addPublishOptions(addSymbolOptions(cmd))
    .action(async (file: string, opts: CheckOptions) => {
      const publisher = openPublisher(opts);
      const policy = await policyForRun(opts.policy, opts.preserve ?? [], io, 'nothing was checked');
      const sym = await openSymbolizer(opts, [file], io, opts.inputFormat);
      const inventory = await inventoryFrom(opts.devices ?? []);
      const previous = await withPrevious(inventory, opts.previousCapture);
      const format = await resolveFormat(file, fileSourceOptions(opts));
      const out = SyncWriter.toFd(1);
      const write = (t: string): void => out.write(t);
      const sink = opts.json ? new CheckNdjsonSink(write) : new CheckTextSink(write, openPciIds(), opts.expected ?? false);
      if (!opts.json) {
        const sel = policy.preserved.map((p) => Object.entries(p).map(([k, v]) => `${k}=${typeof v === 'number' ? `0x${v.toString(16)}` : v}`).join(','));
        write(`${printable(`cfgscope check ${file}`)}\n${printable(`policy: ${policy.sources.join(' + ')} (${policy.rules.length} rules); preserved: ${sel.join('; ') || 'none'}`)}\n`);
      }
      const failAt = SEVERITIES.indexOf(opts.failOn);
      let failing = 0;
      const skipped = new SkipTally();
      let trailer: EndEvent['trailer'] = 'missing';
      const onEvent = (e: CheckEvent): void => {
        if (e.kind === 'end') trailer = e.trailer;
        if ((e.kind === 'finding' || e.kind === 'target') && e.verdict === 'violation' && SEVERITIES.indexOf(e.rule.severity) >= failAt) failing++;
        if (e.kind === 'skipped') skipped.add(e.record);
        sink.handle(e);
        publisher?.finding(e);
      };
      let failed = true;
      try {
        const symbolize: OperatorFunction<CheckEvent, CheckEvent> = sym ? symbolizeFindings(sym) : (s) => s;
        // Without --publish the pipeline is the one it always was: not even a pass-through stage.
        const records = publisher ? recordsFromFile(file, format).pipe(tap((r) => publisher.record(r))) : recordsFromFile(file, format);
        await lastValueFrom(records.pipe(enrichAndJudge(policy, { inventory }), selectBoot(opts.boot, file), symbolize, tap(onEvent)), { defaultValue: null });
        failed = false;
      } finally {
        out.flush();
        sym?.close();
        // A run that failed does not wait for the server: its messages stay in the spool.
        await finishPublishing(publisher, io, failed ? 0 : undefined, !failed);
      }
      if (sym) reportUnresolved(sym, io);
      reportCarried('check', previous, io);
      skipped.report(file, io);
      warnIfIncomplete('check', file, format, trailer, io);
      if (failing > 0) {
        io.stderr(`cfgscope check: ${failing} violation(s) at or above ${opts.failOn}\n`);
        result.code = EXIT_VIOLATION;
      }
    });
}
