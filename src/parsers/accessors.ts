// The kernel's config accessors, by function name: what a hit on each one means.
// Source: drivers/pci/access.c (pci_bus_*, pci_user_*), arch/x86/pci/common.c (raw_pci_*),
// drivers/acpi/osl.c (acpi_os_*_pci_configuration), arch/x86/pci/early.c (early quirks).

import type { Layer, Op } from '../model/records.js';

export interface AccessorInfo {
  op: Op;
  layer: Layer;
  /** Access width; null when an argument carries it (raw_pci_*, ACPI). */
  size: 1 | 2 | 4 | null;
}

const SIZES: Record<string, 1 | 2 | 4> = { byte: 1, word: 2, dword: 4 };

const ACCESSOR_RE = /^(pci_bus|pci_user)_(read|write)_config_(byte|word|dword)$/;
const EARLY_RE = /^(read|write)_pci_config(_byte|_16)?$/;

/** Classifies a kernel function name; null when it is not a config accessor cfgscope knows. */
export function accessorInfo(fn: string): AccessorInfo | null {
  const m = ACCESSOR_RE.exec(fn);
  if (m) return { op: m[2] === 'read' ? 'r' : 'w', layer: m[1] === 'pci_bus' ? 'bus' : 'user', size: SIZES[m[3]!]! };
  if (fn === 'raw_pci_read') return { op: 'r', layer: 'raw', size: null };
  if (fn === 'raw_pci_write') return { op: 'w', layer: 'raw', size: null };
  if (fn === 'acpi_os_read_pci_configuration') return { op: 'r', layer: 'acpi', size: null };
  if (fn === 'acpi_os_write_pci_configuration') return { op: 'w', layer: 'acpi', size: null };
  const e = EARLY_RE.exec(fn);
  if (e) return { op: e[1] === 'read' ? 'r' : 'w', layer: 'early', size: e[2] === '_byte' ? 1 : e[2] === '_16' ? 2 : 4 };
  return null;
}

/** Frame text -> bare function name: `pci_setup_device.cold+0x1a/0x40 [mod]` -> `pci_setup_device.cold`. */
export function frameFunction(frame: string): string {
  let end = frame.length;
  for (let i = 0; i < frame.length; i++) {
    const c = frame.charCodeAt(i);
    if (c === 43 /* + */ || c === 32 /* space */) { end = i; break; }
  }
  return frame.slice(0, end);
}

/**
 * Drops the tracing machinery above the traced function: ftrace's trampoline (a bare address on
 * 6.1, `[FTRACE TRAMPOLINE]` on 6.12),
 * arch_ftrace_ops_list_func and ftrace_regs_call appear on top of function-tracer and kprobe stacks
 * depending on how the probe was attached; without this, one call site would intern as two stacks.
 */
export function trimTracingFrames(frames: string[], accessor: string | null): string[] {
  if (accessor !== null) {
    const at = frames.findIndex((f) => frameFunction(f) === accessor);
    if (at > 0) return frames.slice(at);
  }
  let i = 0;
  while (i < frames.length && isTracingFrame(frames[i]!)) i++;
  return i === 0 ? frames : frames.slice(i);
}

function isTracingFrame(frame: string): boolean {
  return frame.startsWith('0x') || frame.startsWith('ftrace_') || frame.startsWith('arch_ftrace_') || frame === FTRACE_TRAMPOLINE;
}

/** How 6.12 prints the ftrace trampoline's frame (6.1 printed its bare address). */
const FTRACE_TRAMPOLINE = '[FTRACE TRAMPOLINE]';
