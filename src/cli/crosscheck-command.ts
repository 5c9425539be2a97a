// `cfgscope crosscheck <kernel capture> <device capture>`: lines up what the kernel's probes saw
// with what the device side (QEMU's config-access log) saw in the same run, by phase and device,
// and accounts for every access seen on one side only. Exit 0 when every difference has a reason,
// 1 when one has none (a gap in the kernel's probe coverage, or a device-side access nobody traced)
// or when a read's value differs between the two sides.

import type { Command } from 'commander';
import { lastValueFrom, toArray } from 'rxjs';
import { crosscheck } from '../crosscheck/crosscheck-accesses.js';
import { readValuesDiffer, renderCrosscheckNdjson, renderCrosscheckText, unexplained } from '../crosscheck/crosscheck-text.js';
import { CfgscopeError } from '../model/errors.js';
import type { CaptureRecord } from '../model/records.js';
import { recordsFromFile, resolveFormat } from '../sources/records-from-file.js';
import type { CliIo, CliResult } from './cli-types.js';
import { SkipTally } from './skipped-report.js';

export const EXIT_UNEXPLAINED = 1;

interface CrosscheckOptions { json?: boolean }

/** Every record of one side, its skipped input reported; the raw file its line numbers refer to. */
async function readSide(file: string, io: CliIo): Promise<{ records: CaptureRecord[]; raw: string }> {
  const records = await lastValueFrom(recordsFromFile(file, await resolveFormat(file)).pipe(toArray()));
  const skipped = new SkipTally();
  for (const r of records) if (r.t === 'skipped') skipped.add(r);
  skipped.report(file, io);
  const header = records.find((r) => r.t === 'header');
  return { records, raw: header?.t === 'header' && header.source.file ? header.source.file : file };
}

export function crosscheckCommand(program: Command, io: CliIo, result: CliResult): void {
  program.command('crosscheck')
    .description('line up a kernel-side and a device-side trace of one run by phase and device; explain every access seen on one side only')
    .argument('<kernel>', 'kernel-side capture or raw trace (ftrace console log, bpftrace output)')
    .argument('<device>', 'device-side capture or raw QEMU pci_cfg_read/pci_cfg_write log of the same run')
    .option('--json', 'emit NDJSON: phase-counts per op, phase and device, one-sided accesses with reason and location, then crosscheck-totals')
    .action(async (kernelFile: string, deviceFile: string, opts: CrosscheckOptions) => {
      const kernel = await readSide(kernelFile, io);
      const device = await readSide(deviceFile, io);
      const accesses = (rs: CaptureRecord[]) => rs.filter((r) => r.t === 'access');
      if (accesses(kernel.records).length > 0 && accesses(kernel.records).every((r) => r.t === 'access' && r.layer === 'device')) {
        throw new CfgscopeError('CROSSCHECK_SIDES', 'the kernel side holds only device-side accesses (arguments swapped?)', { file: kernelFile });
      }
      if (accesses(device.records).some((r) => r.t === 'access' && r.layer !== 'device')) {
        throw new CfgscopeError('CROSSCHECK_SIDES', 'the device side holds kernel-side accesses; give a QEMU log or its capture', { file: deviceFile });
      }
      const r = crosscheck(kernel.records, device.records);
      const files = { kernel: kernel.raw, device: device.raw };
      io.stdout(opts.json ? renderCrosscheckNdjson(r, files) : renderCrosscheckText(r, files));
      if (unexplained(r).length > 0 || readValuesDiffer(r) > 0) result.code = EXIT_UNEXPLAINED;
    });
}
