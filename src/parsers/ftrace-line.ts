// Splits one line of ftrace's text output (/sys/kernel/tracing/trace, kernel/trace/trace_output.c)
// into its header fields and event body. Kept apart from the stateful parser so it stays pure.

export interface FtraceLine {
  comm: string;
  pid: number;
  cpu: number;
  ts: number;
  body: string;
}

// `<comm>-<pid>  [<cpu>] <flags> <ts>: <body>`. The comm may itself contain '-' and spaces
// (`kworker/u4:1-45`), so the pid is the last `-digits` before the CPU column. The flags column
// (irqs-off, need-resched, ...) is 4 or 5 characters depending on the kernel and absent when the
// `irq-info` option is off; `(tgid)` appears when `record-tgid` is on.
const LINE_RE = /^\s*(.*?)-(\d+)\s+(?:\(\s*[\d-]+\)\s+)?\[(\d+)\]\s+(?:[.a-zA-Z0-9]{4,5}\s+)?(\d+\.\d+):\s(.*)$/;

export function splitFtraceLine(text: string): FtraceLine | null {
  const m = LINE_RE.exec(text);
  if (!m) return null;
  return { comm: m[1]!, pid: Number(m[2]), cpu: Number(m[3]), ts: Number(m[4]), body: m[5]! };
}

/** A kprobe event body: `wd: (pci_bus_write_config_dword+0x0/0x30) bus=0 devfn=0x18 where=0x30 val=0xffff`. */
export interface KprobeBody {
  event: string;
  fn: string;
  args: Map<string, string>;
  /** A return probe (kretprobe): its stack starts at the caller, the probed function has returned. */
  returnProbe: boolean;
}

// kretprobe bodies read `(caller+0x1a/0x40 <- func)`: the probed function is after the arrow, the
// caller (where it returned to, ` [module]` when in one) before it. Entry sites print as `+0x0`,
// or `+0x4` on kernels built with IBT (6.12: the probe sits after the endbr64 landing pad). When
// another kretprobe is on the same function (bpftrace's, while `cfgscope capture` runs) the return
// address is the kretprobe trampoline and the caller prints as `[unknown/kretprobe'd]`: the
// probed function is still named, and the stack that follows has the callers.
const KPROBE_RE = /^([\w.-]+): \((?:([\w.]+)\+0x[0-9a-f]+\/0x[0-9a-f]+(?: \[[\w-]+\])?|(\[unknown\/kretprobe'd\]))(?: <- ([\w.]+))?\)(.*)$/;
const ARG_RE = /(\w+)=("[^"]*"|\S+)/g;

export function parseKprobeBody(body: string): KprobeBody | null {
  const m = KPROBE_RE.exec(body);
  // the trampoline stands for a caller only: without `<- func` nothing names the probed function
  if (!m || (m[3] !== undefined && m[4] === undefined)) return null;
  const args = new Map<string, string>();
  for (const a of m[5]!.matchAll(ARG_RE)) args.set(a[1]!, a[2]!);
  return { event: m[1]!, fn: m[4] ?? m[2]!, args, returnProbe: m[4] !== undefined };
}

/**
 * A function-tracer body: `pci_bus_write_config_word <-pci_setup_device.cold`, or with the
 * `sym-offset` trace option `pci_bus_write_config_word+0x4/0x80 <-pci_setup_device+0x1f/0x6d0`
 * (a module's functions end in ` [nvme]`). Only the function names are kept: the stack has the offsets.
 */
const SYM_OFFSET = String.raw`(?:\+0x[0-9a-f]+\/0x[0-9a-f]+)?(?: \[[\w-]+\])?`;
const FUNCTION_RE = new RegExp(String.raw`^([\w.]+)${SYM_OFFSET} <-([\w.]+)${SYM_OFFSET}$`);

export function parseFunctionBody(body: string): { fn: string; caller: string } | null {
  const m = FUNCTION_RE.exec(body);
  return m ? { fn: m[1]!, caller: m[2]! } : null;
}

/** Parses an ftrace argument value: fetch-arg types print as hex (`x8`...) or decimal (`u8`...). */
export function argNumber(text: string | undefined): number | null {
  if (text === undefined) return null;
  const n = text.startsWith('0x') ? parseInt(text.slice(2), 16) : /^-?\d+$/.test(text) ? Number(text) : NaN;
  return Number.isFinite(n) ? n : null;
}
