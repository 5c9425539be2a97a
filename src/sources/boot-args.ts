// The kernel command-line fragment that makes a boot trace itself: kprobe events on the config
// accessors (they exist from fs_initcall on, with device, offset and value) and the function
// tracer on pci_bus_write_config_* with stacks for the earlier enumeration (call site only on 6.1).
// Fetch arguments follow the x86_64 calling convention (Documentation/trace/kprobetrace.rst):
// arguments in %di, %si, %dx, %cx, %r8, %r9; struct fields at offsets read from the kernel's BTF.

import { CfgscopeError } from '../model/errors.js';
import type { BtfStructs } from '../identity/btf.js';

/** x86's COMMAND_LINE_SIZE: the kernel truncates a longer command line. */
export const COMMAND_LINE_SIZE = 2048;

export interface BootArgsOptions {
  /** Add `seg=` (x86 pci_sysdata.domain) to the pci_bus_* events: longer, for multi-segment hosts. */
  segment?: boolean;
  /** Trace reads with return probes that fetch the entry arguments too (Linux 6.10+): each read
   *  event then carries the value read (`val=`) and the accessor's return code (`ret=`). */
  readValues?: boolean;
  /** Append the persistent trace instance that carries the old kernel's shutdown across kexec. */
  handover?: boolean;
}

/** The region and trace instance of the handover (Linux 6.12's persistent ring buffer): a fixed
 *  physical range, the same in both kernels (`reserve_mem=` is placed anew by each kernel, so its
 *  buffer does not survive kexec), and an instance mapped onto it that starts off (`^traceoff`) so
 *  the next kernel keeps what the old one recorded. Needs `nokaslr` in both kernels. */
export const HANDOVER_INSTANCE = 'boot_map';
export const HANDOVER_REGION = { size: '16M', addr: '0x30000000' } as const;

export function handoverArgs(): string {
  const { size, addr } = HANDOVER_REGION;
  return `memmap=${size}$${addr} trace_instance=${HANDOVER_INSTANCE}^traceoff@${addr}:${size}`;
}

/** Whether a kernel's return probes can fetch entry arguments (`$argN` in an `r:` event): Linux
 *  6.10 added it together with `struct probe_entry_arg` (kernel/trace/trace_probe.h), which BTF
 *  lists when the kernel has it. The kernel's version string is not in raw BTF; the struct is. */
export function returnProbesFetchArgs(btf: BtfStructs): boolean {
  return btf.hasStruct('probe_entry_arg');
}

export interface StructOffsets {
  busNumber: number;
  busSysdata: number;
  devBus: number;
  devDevfn: number;
  sysdataDomain: number;
}

const SIZES = [['b', 'byte', 'x8'], ['w', 'word', 'x16'], ['d', 'dword', 'x32']] as const;

export function structOffsets(btf: BtfStructs, file: string): StructOffsets {
  const need = (s: string, m: string): number => {
    const off = btf.offset(s, m);
    if (off === undefined) throw new CfgscopeError('BTF_NO_MEMBER', `struct ${s} has no member ${m} in this BTF`, { file });
    return off;
  };
  return {
    busNumber: need('pci_bus', 'number'), busSysdata: need('pci_bus', 'sysdata'),
    devBus: need('pci_dev', 'bus'), devDevfn: need('pci_dev', 'devfn'), sysdataDomain: need('pci_sysdata', 'domain'),
  };
}

/** kprobe_event definitions, `;`-separated with `,` for spaces as the boot parameter wants. */
export function kprobeEvents(o: StructOffsets, opts: BootArgsOptions = {}): string[] {
  const seg = opts.segment ? `,seg=+${o.sysdataDomain}(+${o.busSysdata}(%di)):u16` : '';
  const bus = `bus=+${o.busNumber}(%di):u8${seg},devfn=%si:x8,where=%dx:x16`;
  const user = `bus=+${o.busNumber}(+${o.devBus}(%di)):u8,devfn=+${o.devDevfn}(%di):x8,where=%si:x16`;
  const out: string[] = [];
  for (const [k, size, t] of SIZES) out.push(`p:pci/w${k},pci_bus_write_config_${size},${bus},val=%cx:${t}`);
  if (opts.readValues) {
    // At return the registers no longer hold the arguments: $argN are the entry values the
    // kernel saved for this return probe; the value read is behind the last pointer argument.
    const seg = opts.segment ? `,seg=+${o.sysdataDomain}(+${o.busSysdata}($arg1)):u16` : '';
    const rbus = `bus=+${o.busNumber}($arg1):u8${seg},devfn=$arg2:x8,where=$arg3:x16`;
    const ruser = `bus=+${o.busNumber}(+${o.devBus}($arg1)):u8,devfn=+${o.devDevfn}($arg1):x8,where=$arg2:x16`;
    for (const [k, size, t] of SIZES) out.push(`r:pci/r${k},pci_bus_read_config_${size},${rbus},val=+0($arg4):${t},ret=$retval:s32`);
    for (const [k, size, t] of SIZES) out.push(`p:pci/uw${k},pci_user_write_config_${size},${user},val=%dx:${t}`);
    for (const [k, size, t] of SIZES) out.push(`r:pci/ur${k},pci_user_read_config_${size},${ruser},val=+0($arg3):${t},ret=$retval:s32`);
  } else {
    for (const [k, size] of SIZES) out.push(`p:pci/r${k},pci_bus_read_config_${size},${bus}`);
    for (const [k, size, t] of SIZES) out.push(`p:pci/uw${k},pci_user_write_config_${size},${user},val=%dx:${t}`);
    for (const [k, size] of SIZES) out.push(`p:pci/ur${k},pci_user_read_config_${size},${user}`);
  }
  out.push('p:pci/raww,raw_pci_write,bus=%si:u8,devfn=%dx:x8,where=%cx:x16,len=%r8:u8,val=%r9:x32');
  return out;
}

export function bootArgs(o: StructOffsets, opts: BootArgsOptions = {}): string {
  return [
    // A TSC marked unstable (QEMU TCG, some hosts) switches the trace clock at late_initcall and
    // clears the ring buffer; `global` avoids losing the boot.
    'trace_clock=global',
    'trace_buf_size=16M',
    'trace_options=stacktrace,func_stack_trace',
    'ftrace=function',
    'ftrace_filter=pci_bus_write_config_byte,pci_bus_write_config_word,pci_bus_write_config_dword',
    `kprobe_event=${kprobeEvents(o, opts).join(';')}`,
    ...(opts.handover ? [handoverArgs()] : []),
  ].join(' ');
}
