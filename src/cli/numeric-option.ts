// Numeric command-line options read within documented ranges: a value past them is a usage error
// (exit 64) with a code, never a timer that overflows (setTimeout fires at once past 2^31-1 ms:
// `--heartbeat 3e9`) or a replay that waits for ever (`--speed 1e-300`).

import { InvalidArgumentError } from 'commander';

export interface NumericRange {
  /** The error code, said first in commander's message: `SERVE_BAD_SPEED: ...`. */
  code: string;
  min: number;
  max: number;
  /** What the number is, for the message: `a number`, `whole milliseconds`. */
  what: string;
  integer?: boolean;
}

/** A commander option parser for a number in [min, max]. */
export function numberIn(r: NumericRange): (v: string) => number {
  return (v) => {
    const n = v.trim() === '' ? NaN : Number(v);
    const ok = r.integer ? Number.isSafeInteger(n) : Number.isFinite(n);
    if (!ok || n < r.min || n > r.max) throw new InvalidArgumentError(`${r.code}: ${r.what} from ${r.min} to ${r.max}`);
    return n;
  };
}

/** `--max-clients` of serve and capture --listen (docs/security.md, Limits): one meaning, one parser. */
export const parseMaxClients = numberIn({ code: 'SERVE_BAD_MAX_CLIENTS', min: 1, max: 100_000, what: 'a whole number of clients', integer: true });
