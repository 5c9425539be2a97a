// How long and how hard the fuzz properties run. Under `npm test` (no environment set) every
// property runs a few cases with a fixed seed, stops at the first failure without shrinking (each
// case spawns real processes), and the whole folder stays well under a minute. `npm run fuzz`
// (test/fuzz/run-fuzz.mjs) sets the variables below for a long, shrinking, collecting run.
//
//   CFGSCOPE_FUZZ_SEED     seed (default 0x0cf95c09e, fixed so that `npm test` is deterministic)
//   CFGSCOPE_FUZZ_PATH     fast-check replay path of a counterexample (with its seed and `-t <property>`)
//   CFGSCOPE_FUZZ_RUNS     cases per property (default: each property's small budget)
//   CFGSCOPE_FUZZ_SECONDS  time budget per property; cases stop when it is spent
//   CFGSCOPE_FUZZ_SHRINK   1: shrink a failure to a minimal counterexample (costs process spawns)
//   CFGSCOPE_FUZZ_COLLECT  1: do not stop at the first failure; group failures by class, keep the
//                          smallest example of each, fail at the end (what `npm run fuzz` does)
//   CFGSCOPE_FUZZ_STATS    folder where each property writes its cases run, failures and peak RSS
//   CFGSCOPE_FUZZ_KEEP     folder where failing cases' files are kept (default: <tmp>/cfgscope-fuzz-failures)
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const DEFAULT_SEED = 0x0cf95c09e & 0x7fffffff;

export interface FuzzSettings {
  seed: number;
  path: string | undefined;
  /** null: use the property's own small budget. */
  runs: number | null;
  seconds: number | null;
  shrink: boolean;
  collect: boolean;
  statsDir: string | undefined;
  keepDir: string;
  /** true under `npm test`: small inputs, short child timeouts. */
  quick: boolean;
}

function intEnv(name: string): number | null {
  const v = process.env[name];
  if (v === undefined || v === '') return null;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`${name}=${v} is not a number`);
  return n;
}

export function fuzzSettings(): FuzzSettings {
  const runs = intEnv('CFGSCOPE_FUZZ_RUNS');
  const seconds = intEnv('CFGSCOPE_FUZZ_SECONDS');
  return {
    seed: intEnv('CFGSCOPE_FUZZ_SEED') ?? DEFAULT_SEED,
    path: process.env['CFGSCOPE_FUZZ_PATH'] || undefined,
    runs,
    seconds,
    shrink: process.env['CFGSCOPE_FUZZ_SHRINK'] === '1',
    collect: process.env['CFGSCOPE_FUZZ_COLLECT'] === '1',
    statsDir: process.env['CFGSCOPE_FUZZ_STATS'] || undefined,
    keepDir: process.env['CFGSCOPE_FUZZ_KEEP'] || join(tmpdir(), 'cfgscope-fuzz-failures'),
    quick: runs === null && seconds === null,
  };
}

/**
 * Limits for one child process. A check of a bundled capture takes about a second and under
 * 150 MiB (measured: see README.md); the limits leave room for a loaded machine and still stop a
 * hang or a runaway allocation long before it hurts anyone.
 */
export const CHILD_TIMEOUT_MS = 30_000;
export const CHILD_RSS_LIMIT_KB = 512 * 1024;

/** Sizes of hostile shapes: small under `npm test`, large under `npm run fuzz`. */
export function shapeLimits(): { maxDepth: number; maxInsertions: number; hugeLine: number } {
  return fuzzSettings().quick
    ? { maxDepth: 5_000, maxInsertions: 6, hugeLine: 200_000 }
    : { maxDepth: 100_000, maxInsertions: 24, hugeLine: 8_000_000 };
}

/** vitest's per-test limit: the property's time budget plus room for the last case and shrinking. */
export function fuzzTestTimeout(): number {
  const s = fuzzSettings();
  return s.seconds === null ? 600_000 : s.seconds * 1000 * 2 + 300_000;
}
