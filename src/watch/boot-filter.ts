// `watch --boot`: keeps the event messages of one boot of a kexec stream, client side (the
// server's filters are by verdict and device). A message's boot: a finding's own `boot`, else its
// phase's (`access`, `phase`, `lost`), else the boot of the latest phase message (targets, which
// are checked as a phase ends). Messages about the whole stream (header, device, totals, end,
// error, skipped) always pass.

import { KERNEL_1, sameBoot, type BootRef } from '../model/boots.js';
import { selects, type BootSelector } from '../model/boot-selection.js';

const WHOLE_STREAM = new Set(['header', 'device', 'totals', 'end', 'error', 'skipped', 'source-count']);

interface Message { type: string; boot?: BootRef; phase?: unknown }

const bootOfPhase = (p: unknown): BootRef | null =>
  typeof p === 'object' && p !== null && 'boot' in p && typeof (p as { boot: unknown }).boot === 'object' ? (p as { boot: BootRef }).boot : null;

export class BootFilter {
  private current: BootRef = KERNEL_1;

  constructor(private readonly sel: BootSelector | null) {}

  keeps(m: Message): boolean {
    const fromPhase = bootOfPhase(m.phase);
    if (m.type === 'phase') this.current = fromPhase ?? (typeof m.phase === 'object' && m.phase !== null ? KERNEL_1 : this.current);
    if (this.sel === null || WHOLE_STREAM.has(m.type)) return true;
    const own = (typeof m.boot === 'object' && m.boot !== null ? m.boot : null) ?? fromPhase ?? (m.type === 'access' ? KERNEL_1 : this.current);
    return selects(this.sel, own);
  }

  /** For a test: the boot the stream is in. */
  isIn(b: BootRef): boolean { return sameBoot(this.current, b); }
}
