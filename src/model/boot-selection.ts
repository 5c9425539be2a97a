// Which boots a `--boot` selects, and the error when a capture has none of them. Kept apart from
// the CLI so that the server and the selection operator use the same test.

import { bootName, type BootRef } from './boots.js';
import { CfgscopeError } from './errors.js';

/** `{kernel: 2}` = kernel 2; `{handover: true}` = every handover; both = the handover into kernel 2. */
export interface BootSelector {
  kernel?: number;
  handover?: true;
}

export const selects = (sel: BootSelector, b: BootRef): boolean =>
  (sel.handover === true) === (b.handover === true) && (sel.kernel === undefined || sel.kernel === b.kernel);

export function selectorName(sel: BootSelector): string {
  if (!sel.handover) return bootName({ kernel: sel.kernel ?? 1 });
  return sel.kernel === undefined ? 'the handover' : bootName({ kernel: sel.kernel, handover: true });
}

/** The capture was read to its end and holds no boot the selector names (exit 65). */
export function noSuchBoot(sel: BootSelector, file: string, seen: readonly BootRef[]): CfgscopeError {
  const has = seen.map(bootName).join('; ');
  return new CfgscopeError('BOOT_NOT_IN_CAPTURE', `--boot: the capture has no ${selectorName(sel)}; it holds ${has}`, { file });
}
