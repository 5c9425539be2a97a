// `--boot N` / `--boot handover`: which boot of a kexec capture a command looks at (replay, check,
// report, diff, serve, watch). One option meaning and one parser for all of them; a bad value is a
// usage error (exit 64, BOOT_BAD_VALUE).

import { InvalidArgumentError, type Command } from 'commander';
import type { BootSelector } from '../model/boot-selection.js';

const KERNEL = /^[1-9]\d{0,5}$/;
const HANDOVER = /^handover(?::([1-9]\d{0,5}))?$/;

/** `2` = kernel 2; `handover` = every handover (a capture of one kexec has one); `handover:3` =
 *  the handover into kernel 3. */
export function parseBootArg(v: string): BootSelector {
  const s = v.trim();
  if (KERNEL.test(s)) return { kernel: Number(s) };
  const h = HANDOVER.exec(s);
  if (h) return h[1] !== undefined ? { kernel: Number(h[1]), handover: true } : { handover: true };
  throw new InvalidArgumentError(`BOOT_BAD_VALUE: a kernel number from 1 (1 = the first kernel, 2 = the one after kexec), "handover" or "handover:N", not "${s.slice(0, 40)}"`);
}

export const BOOT_HELP = "only this boot of a kexec capture: 1 (first kernel), 2 (after kexec)..., handover (the old kernel's shutdown, between the two), handover:N";

/** Adds `--boot` to a command, the same way for each. */
export const addBootOption = (cmd: Command): Command => cmd.option('--boot <N|handover>', BOOT_HELP, parseBootArg);
