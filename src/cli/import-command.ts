// `cfgscope import <raw trace> -o <capture>`: any supported input -> a capture file.

import { lastValueFrom, takeUntil, tap } from 'rxjs';
import { InvalidArgumentError, type Command } from 'commander';
import { deviceWrites, WriteAttributor } from '../crosscheck/attribute-writes.js';
import { loadDeviceRecords } from '../identity/device-records.js';
import type { CaptureRecord, DeviceRecord } from '../model/records.js';
import { CAPTURE_ENCODINGS, CaptureWriter, encodingFor, type CaptureEncoding } from '../sinks/capture-writer.js';
import { refuseOutputIsInput } from '../sinks/atomic-file.js';
import { SyncWriter } from '../sinks/sync-writer.js';
import { readAll, recordsFromFile, resolveFormat } from '../sources/records-from-file.js';
import { EXIT_DATA, type CliIo, type CliResult } from './cli-types.js';
import { fileSourceOptions, inputFormatOption, retiredFormatOption, type InputFormatOptions } from './input-format-option.js';
import { exitCodeFor, onInterrupt } from './interrupt.js';
import { repeatable } from './repeatable.js';
import { SkipTally } from './skipped-report.js';
import { addPublishOptions, finishPublishing, openPublisher, type PublishFlags } from './publish-options.js';

interface ImportOptions extends InputFormatOptions, PublishFlags {
  output: string;
  devices?: string[];
  attribute?: string;
  strict?: boolean;
  encoding?: CaptureEncoding;
}

function parseEncoding(v: string): CaptureEncoding {
  if (!(CAPTURE_ENCODINGS as readonly string[]).includes(v)) throw new InvalidArgumentError(`not a capture encoding; one of: ${CAPTURE_ENCODINGS.join(', ')}`);
  return v as CaptureEncoding;
}

export function importCommand(program: Command, io: CliIo, result: CliResult): void {
  const cmd = program.command('import')
    .description('convert a raw trace (ftrace text or serial console, QEMU pci_cfg log, cfgscope bpftrace output, a capture) into a capture file')
    .argument('<input>', 'raw trace file')
    .requiredOption('-o, --output <capture>', 'capture file to write (NDJSON; packed when it ends in .cfgcap)')
    .option('--encoding <ndjson|packed>', 'capture encoding, whatever the file name (packed: a quarter of the size, read several times faster)', parseEncoding)
    .addOption(inputFormatOption())
    .addOption(retiredFormatOption('import', 'the capture\'s encoding is --encoding ndjson|packed'))
    .option('-d, --devices <source>', 'add device identity: a device-side trace of the same run (e.g. QEMU\'s log), a capture, or sysfs[:path] (repeatable)', repeatable)
    .option('-a, --attribute <device trace>', 'give early-boot writes (function tracer, no arguments) their target and value by aligning with a device-side trace of the same run')
    .option('--strict', 'exit non-zero when any input line was skipped');
  addPublishOptions(cmd)
    .action(async (input: string, opts: ImportOptions) => {
      // Before anything is read: `import x.ndjson -o x.ndjson` would empty x.
      refuseOutputIsInput(opts.output, [input, opts.attribute, ...(opts.devices ?? []).filter((d) => d !== 'sysfs' && !d.startsWith('sysfs:'))]);
      const format = await resolveFormat(input, fileSourceOptions(opts));
      const devices: DeviceRecord[] = [];
      for (const spec of opts.devices ?? []) devices.push(...await loadDeviceRecords(spec));
      const attributor = opts.attribute ? new WriteAttributor(deviceWrites(await readAll(opts.attribute))) : null;
      const publisher = openPublisher(opts);
      const writer = new CaptureWriter(SyncWriter.toFile(opts.output), encodingFor(opts.output, opts.encoding));
      const skipped = new SkipTally();
      let headerDone = false;
      // A capture given as input passes on its own state: one cut off (no trailer) or closed
      // incomplete stays incomplete, whatever this import does (docs/capture-format.md).
      const isCapture = format.kind === 'capture' || format.kind === 'packed';
      let inputTrailer: boolean | null = null;
      const write = (r: CaptureRecord): void => {
        if (r.t === 'trailer') inputTrailer = (inputTrailer ?? true) && r.complete;
        writer.write(r);
        // The input's own trailer is not this run's: its trailer goes out at the end.
        if (r.t !== 'trailer') publisher?.record(r);
        // Device records from --devices go right after the header, so a reader knows every
        // device before its first access.
        if (r.t === 'header' && !headerDone) {
          headerDone = true;
          for (const d of devices) {
            writer.write(d);
            publisher?.record(d);
          }
        }
        if (r.t === 'skipped') skipped.add(r);
      };
      const feed = (r: CaptureRecord): void => {
        if (!attributor) return write(r);
        for (const x of attributor.push(r)) write(x);
      };
      const interrupt = onInterrupt();
      try {
        await lastValueFrom(recordsFromFile(input, format).pipe(takeUntil(interrupt.signal$), tap(feed)), { defaultValue: null });
        if (attributor) {
          // Interrupted: what is held back is written unaligned (targets unknown), not guessed.
          for (const x of interrupt.received ? attributor.abandon() : attributor.end()) write(x);
          write({ t: 'source-count', key: 'attributed-from-device-log', count: attributor.stats.attributed });
        }
      } catch (e) {
        // Nothing replaces the output: an existing file of that name is left as it was.
        writer.abandon();
        await finishPublishing(publisher, io, 0, false);
        throw e;
      }
      if (interrupt.received) {
        const c = writer.finish(false);
        publisher?.record({ t: 'trailer', counts: c, complete: false });
        await finishPublishing(publisher, io, undefined, false);
        io.stderr(`cfgscope import: ${interrupt.received}: stopped after ${c.accesses} accesses; ${opts.output} is closed with an incomplete trailer\n`);
        result.code = exitCodeFor(interrupt.received);
        return;
      }
      const inputComplete = !isCapture || inputTrailer === true;
      const c = writer.finish(inputComplete);
      publisher?.record({ t: 'trailer', counts: c, complete: inputComplete });
      if (!inputComplete) {
        io.stderr(`cfgscope import: ${input} is an INCOMPLETE capture (${inputTrailer === null ? 'no trailer: it was cut off' : 'its trailer says complete: false'}); `
          + `${opts.output} says so too (trailer complete: false)\n`);
      }
      io.stderr(`cfgscope import: ${input} (${format.name}) -> ${opts.output}\n`
        + `  ${c.accesses} accesses (${c.reads} reads, ${c.writes} writes, ${c.unknownAccesses} with unknown target), `
        + `${c.devices} devices, ${c.stacks} stacks, ${c.phases} phases, ${c.lostEvents} lost events, `
        + `${c.nestedMerged} nested hits merged, ${c.ignoredLines} console lines ignored, ${c.skipped} lines skipped\n`);
      if (attributor) {
        const a = attributor.stats;
        io.stderr(`  attributed from ${opts.attribute}: ${a.attributed} early writes given a target, ${a.leftUnknown} left unknown; `
          + `${a.anchors} traced writes matched, ${a.kernelOnly} seen by the kernel only, ${a.deviceOnly} device writes no traced call made\n`);
      }
      skipped.report(input, io);
      // Last, so that the output's summary is said whatever the server answers (FLEET_AUTH throws).
      await finishPublishing(publisher, io);
      if (opts.strict && skipped.total > 0) result.code = EXIT_DATA;
    });
}
