// `cfgscope boot-args [--kernel <vmlinux|btf>]`: prints the kernel command-line fragment that
// traces config accesses from boot, with struct offsets from that kernel's BTF.

import type { Command } from 'commander';
import { readBtf } from '../identity/btf.js';
import { CfgscopeError } from '../model/errors.js';
import { bootArgs, COMMAND_LINE_SIZE, HANDOVER_INSTANCE, HANDOVER_REGION, returnProbesFetchArgs, structOffsets } from '../sources/boot-args.js';
import { readKernelBtf } from '../sources/kernel-btf-file.js';
import type { CliIo, CliResult } from './cli-types.js';

interface BootArgsCliOptions {
  kernel: string;
  segment?: boolean;
  /** true/false when the user forced it, undefined: decided from the kernel's BTF. */
  readValues?: boolean;
  handover?: boolean;
}

export function bootArgsCommand(program: Command, io: CliIo, _result: CliResult): void {
  program.command('boot-args')
    .description('print the kernel command-line fragment that traces every config access from boot (x86_64)')
    .option('-k, --kernel <vmlinux|btf>', 'the kernel to trace: a vmlinux with .BTF, or raw BTF', '/sys/kernel/btf/vmlinux')
    .option('--segment', 'also record the PCI segment (domain) of pci_bus_* accesses (longer)')
    .option('--read-values', 'trace reads with return probes that record the value read and the return code (Linux 6.10+); default: when the kernel\'s BTF says its return probes can fetch entry arguments')
    .option('--no-read-values', 'trace reads with entry probes only (no value), whatever the kernel')
    .option('--handover', `also reserve ${HANDOVER_REGION.size} at ${HANDOVER_REGION.addr} and map the persistent trace instance ${HANDOVER_INSTANCE} onto it (Linux 6.12+, with nokaslr): armed before kexec, it carries the old kernel's shutdown into the next kernel`)
    .action((opts: BootArgsCliOptions) => {
      // Only the BTF is read, with a size limit, from a regular file (kernel-btf-file.ts).
      const buf = readKernelBtf(opts.kernel);
      const btf = parseBtf(buf, opts.kernel);
      const offsets = structOffsets(btf, opts.kernel);
      const canFetch = returnProbesFetchArgs(btf);
      const readValues = opts.readValues ?? canFetch;
      const args = bootArgs(offsets, { segment: opts.segment ?? false, readValues, handover: opts.handover ?? false });
      io.stdout(`${args}\n`);
      io.stderr(`cfgscope boot-args: reads ${readValues ? 'with return probes that record the value read (val=) and the return code (ret=)' : 'with entry probes (no value)'}: `
        + `${opts.readValues === undefined ? 'decided from the kernel\'s BTF, which' : `forced by --${opts.readValues ? '' : 'no-'}read-values; the kernel's BTF`} ${canFetch ? 'has' : 'lacks'} struct probe_entry_arg `
        + `(return probes fetch entry arguments from Linux 6.10 on)\n`);
      io.stderr(`cfgscope boot-args: from ${opts.kernel}: pci_bus.number +${offsets.busNumber}, pci_bus.sysdata +${offsets.busSysdata}, `
        + `pci_dev.bus +${offsets.devBus}, pci_dev.devfn +${offsets.devDevfn}, pci_sysdata.domain +${offsets.sysdataDomain}; `
        + `${args.length} characters of the kernel's ${COMMAND_LINE_SIZE}: keep the rest of the command line under ${COMMAND_LINE_SIZE - args.length - 1}\n`);
    });
}

/** readBtf, with a type or string table that runs past the end of the data (a cut or forged
 *  BTF) said as such instead of escaping as a RangeError. */
function parseBtf(buf: Buffer, file: string): ReturnType<typeof readBtf> {
  try {
    return readBtf(buf, file);
  } catch (e) {
    if (e instanceof RangeError) throw new CfgscopeError('BTF_TRUNCATED', 'the BTF ends inside a type or string table it declares', { file });
    throw e;
  }
}
