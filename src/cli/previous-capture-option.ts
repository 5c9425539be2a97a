// `--previous-capture <capture>` (check, report, serve): the old kernel's own capture, taken before
// kexec; old values of this capture start from its last known state (pipeline/previous-capture.ts).
// One meaning and one help text for every command; what was not carried is said on stderr.

import type { Command } from 'commander';
import type { Inventory } from '../identity/inventory.js';
import { carryPrevious, type PreviousState } from '../pipeline/previous-capture.js';
import type { CliIo } from './cli-types.js';

export const PREVIOUS_CAPTURE_HELP = "the old kernel's own capture (taken before kexec): old values this capture has not seen start from that kernel's last known state (same address and ids only; marked as such)";

export const addPreviousCaptureOption = (cmd: Command): Command => cmd.option('--previous-capture <capture>', PREVIOUS_CAPTURE_HELP);

/** Seeds `inventory` from the previous capture when one is given. */
export async function withPrevious(inventory: Inventory, file: string | undefined): Promise<PreviousState | null> {
  return file === undefined ? null : carryPrevious(inventory, file);
}

/** What was carried, in one line, and each device that was not, with its code (stderr). */
export function reportCarried(command: string, state: PreviousState | null, io: CliIo): void {
  if (state === null) return;
  io.stderr(`cfgscope ${command}: ${carriedText(state)}\n`);
  for (const n of state.notices) io.stderr(`cfgscope ${command}: ${state.capture}: ${n.code}: ${n.message}\n`);
}

export function carriedText(state: PreviousState): string {
  const stale = state.staleBytes > 0 ? `; ${state.staleBytes} bytes known there only before an unattributed write not carried` : '';
  const unconfirmed = state.unconfirmed();
  const unconf = unconfirmed.length > 0 ? `; not confirmed by this capture's own id reads: ${unconfirmed.join(', ')}` : '';
  return `old values from the old kernel's capture ${state.capture}: ${state.carriedDevices} devices, ${state.bytes} bytes of its last known state${stale}${unconf}`;
}
