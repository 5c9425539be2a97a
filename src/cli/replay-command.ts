// `cfgscope replay [capture...]`: runs the pipeline over captures (or raw traces) and prints,
// per phase and device, the writes by register with old -> new and call site, and a read summary.

import { fileURLToPath } from 'node:url';
import { lastValueFrom, tap } from 'rxjs';
import type { Command } from 'commander';
import { inventoryFrom } from '../identity/device-records.js';
import { openPciIds } from '../identity/pci-ids.js';
import type { EndEvent } from '../model/events.js';
import { replayPipeline } from '../pipeline/replay-pipeline.js';
import { ReplayNdjsonSink } from '../sinks/replay-ndjson.js';
import { ReplayTextSink } from '../sinks/replay-text.js';
import { SyncWriter } from '../sinks/sync-writer.js';
import { recordsFromFile, resolveFormat } from '../sources/records-from-file.js';
import type { CliIo, CliResult } from './cli-types.js';
import { fileSourceOptions, inputFormatOption, retiredFormatOption, type InputFormatOptions } from './input-format-option.js';
import { repeatable } from './repeatable.js';
import { addBootOption } from './boot-option.js';
import type { BootSelector } from '../model/boot-selection.js';
import { selectBoot } from '../pipeline/select-boot.js';
import { SkipTally } from './skipped-report.js';
import { warnIfIncomplete } from './capture-state.js';

/** The capture `cfgscope replay` shows when given none: a real boot, see replays/README.md. */
export const DEFAULT_REPLAY = fileURLToPath(new URL('../../replays/qemu-6.1-q35-basic/kernel.capture.ndjson', import.meta.url));

interface ReplayOptions extends InputFormatOptions {
  json?: boolean;
  devices?: string[];
  boot?: BootSelector;
}

export function replayCommand(program: Command, io: CliIo, _result: CliResult): void {
  const cmd = program.command('replay')
    .description('replay captures (or raw traces) through the pipeline: writes per phase, device, register and call site')
    .argument('[capture...]', 'capture files or raw traces (default: the bundled real boot capture)')
    .option('--json', 'emit NDJSON instead of text')
    .addOption(inputFormatOption())
    .addOption(retiredFormatOption('replay', '--json for NDJSON'))
    .option('-d, --devices <source>', 'device identity from a device-side trace, a capture or sysfs[:path] (repeatable)', repeatable);
  addBootOption(cmd)
    .action(async (files: string[], opts: ReplayOptions) => {
      const inputs = files.length > 0 ? files : [DEFAULT_REPLAY];
      const names = opts.json ? null : openPciIds();
      const out = SyncWriter.toFd(1);
      const write = (t: string): void => out.write(t);
      try {
        for (const file of inputs) {
          const inventory = await inventoryFrom(opts.devices ?? []);
          const format = await resolveFormat(file, fileSourceOptions(opts));
          const skipped = new SkipTally();
          let trailer: EndEvent['trailer'] = 'missing';
          const sink = opts.json ? new ReplayNdjsonSink(write) : new ReplayTextSink(write, names!);
          if (!opts.json) write(`${inputs.length > 1 ? '\n' : ''}cfgscope replay ${file}\n`);
          await lastValueFrom(replayPipeline(recordsFromFile(file, format), { inventory }).pipe(selectBoot(opts.boot, file), tap((e) => {
            if (e.kind === 'skipped') skipped.add(e.record);
            if (e.kind === 'end') trailer = e.trailer;
            sink.handle(e);
          })), { defaultValue: null });
          out.flush();
          skipped.report(file, io);
          warnIfIncomplete('replay', file, format, trailer, io);
          if (!opts.json && names && !names.available) write('  (device names: install the pci.ids package for vendor and device names)\n');
        }
      } finally {
        out.flush();
      }
    });
}
