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
  for (const [k, size] of SIZES) out.push(`p:pci/r${k},pci_bus_read_config_${size},${bus}`);
  for (const [k, size, t] of SIZES) out.push(`p:pci/uw${k},pci_user_write_config_${size},${user},val=%dx:${t}`);
  for (const [k, size] of SIZES) out.push(`p:pci/ur${k},pci_user_read_config_${size},${user}`);
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
  ].join(' ');
}
