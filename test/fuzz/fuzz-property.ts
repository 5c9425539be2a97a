// One fuzz property: fast-check generates cases, `check` runs each against the real CLI or server
// and returns the invariants it broke. This wrapper gives every property the same budget rules
// (fuzz-config.ts), keeps each failing case's files for replay, counts the cases that really ran
// (a property that ran nothing fails), and in collect mode groups failures by class.
import fc from 'fast-check';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fuzzSettings } from './fuzz-config.js';
import type { Problem } from './invariants.js';

export interface CaseOutcome {
  problems: Problem[];
  /** peak RSS of the processes this case ran, KiB */
  peakRssKb: number;
  /** a short, printable description of the case (the hostile lines, the request...) */
  summary: string;
}

export interface PropertyOptions<T> {
  /** generated cases under `npm test` */
  quickRuns: number;
  /**
   * Cases that always run first (the issue's own examples), so that every class it names is
   * exercised under `npm test` whatever the seed draws.
   */
  examples?: T[];
  /** at most this many cases in any mode: a generator with few distinct values (a table, a small product) */
  maxRuns?: number;
}

interface FailureClass {
  signature: string;
  count: number;
  example: { run: number; summary: string; problems: Problem[]; kept: string };
}

/** `exit 70: cfgscope: TypeError at line 17` -> `exit 70: cfgscope: TypeError at line N`: one class per shape. */
export function signatureOf(p: Problem): string {
  const detail = p.detail
    .replace(/"(?:[^"\\]|\\.)*"/g, '"…"')
    .replace(/0x[0-9a-f]+|\d+(\.\d+)?/gi, 'N')
    .replace(/\/[\w./+-]+/g, '<path>');
  return `${p.kind}: ${detail.slice(0, 160)}`;
}

function keepCase(dir: string, name: string, seed: number, run: number): string {
  const settings = fuzzSettings();
  const kept = join(settings.keepDir, `${name}-seed${seed}-run${run}`);
  rmSync(kept, { recursive: true, force: true });
  mkdirSync(settings.keepDir, { recursive: true });
  cpSync(dir, kept, { recursive: true, dereference: false });
  return kept;
}

/** Runs the property; throws (failing the vitest test) with every class of failure found. */
export async function fuzzProperty<T>(
  name: string,
  arb: fc.Arbitrary<T>,
  check: (input: T, caseDir: string) => Promise<CaseOutcome>,
  opts: PropertyOptions<T>,
): Promise<{ cases: number; peakRssKb: number }> {
  const s = fuzzSettings();
  const root = mkdtempSync(join(tmpdir(), `cfgscope-fuzz-${name}-`));
  let cases = 0;
  let peakRssKb = 0;
  const classes = new Map<string, FailureClass>();
  let last: { run: number; summary: string; problems: Problem[]; kept: string } | null = null;

  const property = fc.asyncProperty(arb, async (input) => {
    const run = cases++;
    const dir = join(root, `case-${run}`);
    mkdirSync(dir, { recursive: true });
    let outcome: CaseOutcome;
    try {
      outcome = await check(input, dir);
    } catch (e) {
      // The harness itself failed (or the property threw on purpose): still a failure of this case.
      outcome = { problems: [{ kind: 'harness', detail: e instanceof Error ? `${e.message} ${(e.stack ?? '').split('\n').slice(1, 3).join(' ').trim()}` : String(e) }], peakRssKb: 0, summary: '(harness error)' };
    }
    peakRssKb = Math.max(peakRssKb, outcome.peakRssKb);
    if (outcome.problems.length === 0) {
      rmSync(dir, { recursive: true, force: true });
      return true;
    }
    const kept = keepCase(dir, name, s.seed, run);
    rmSync(dir, { recursive: true, force: true });
    last = { run, summary: outcome.summary, problems: outcome.problems, kept };
    for (const p of outcome.problems) {
      const sig = signatureOf(p);
      const c = classes.get(sig);
      if (!c) classes.set(sig, { signature: sig, count: 1, example: last });
      else {
        c.count++;
        if (outcome.summary.length < c.example.summary.length) c.example = last;
      }
    }
    // In collect mode every case runs and failures are reported together at the end.
    return s.collect;
  });

  const runs = Math.min(s.runs ?? (s.seconds !== null ? 1_000_000 : opts.quickRuns), opts.maxRuns ?? Infinity);
  const details = await fc.check(property, {
    seed: s.seed,
    ...(s.path !== undefined ? { path: s.path } : {}),
    numRuns: runs + (opts.examples?.length ?? 0),
    examples: (opts.examples ?? []).map((e) => [e] as [T]),
    endOnFailure: !s.shrink,
    ...(s.seconds !== null ? { interruptAfterTimeLimit: s.seconds * 1000 } : {}),
  });
  rmSync(root, { recursive: true, force: true });

  if (s.statsDir) {
    mkdirSync(s.statsDir, { recursive: true });
    writeFileSync(join(s.statsDir, `${name}.json`), JSON.stringify({
      name, seed: s.seed, cases, peakRssKb,
      failures: [...classes.values()].map((c) => ({ signature: c.signature, count: c.count, run: c.example.run, summary: c.example.summary.slice(0, 2000), kept: c.example.kept })),
    }, null, 1));
  }

  const replay = (path: string | number): string => `CFGSCOPE_FUZZ_SEED=${s.seed} CFGSCOPE_FUZZ_PATH=${path} npx vitest run test/fuzz -t ${name}`;
  if (details.failed) {
    const l = last as { run: number; summary: string; problems: Problem[]; kept: string } | null;
    const err = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance ?? '');
    throw new Error([
      `${name}: ${classes.size} failure class(es) in ${cases} case(s); seed ${s.seed}, path ${details.counterexamplePath}`,
      ...[...classes.values()].map((c) => `  [${c.count}x] ${c.signature}\n      e.g. run ${c.example.run}: ${c.example.problems.map((p) => p.detail).join(' | ').slice(0, 600)}\n      case: ${c.example.summary.slice(0, 600)}\n      files: ${c.example.kept}\n      replay: ${replay(c.example.run)}`),
      l ? `last failing case (files kept in ${l.kept}): ${l.summary.slice(0, 1500)}` : err,
      `replay: ${replay(details.counterexamplePath ?? '')}`,
    ].join('\n'));
  }
  if (classes.size > 0) {
    throw new Error([
      `${name}: ${classes.size} failure class(es) in ${cases} case(s), seed ${s.seed}`,
      ...[...classes.values()].map((c) => `  [${c.count}x] ${c.signature}\n      e.g. run ${c.example.run}: ${c.example.problems.map((p) => p.detail).join(' | ').slice(0, 600)}\n      case: ${c.example.summary.slice(0, 600)}\n      files: ${c.example.kept}\n      replay: ${replay(c.example.run)}`),
    ].join('\n'));
  }
  // Not vacuous: cases ran (an interrupted time budget still runs at least one).
  const expected = opts.quickRuns + (opts.examples?.length ?? 0);
  if (cases === 0 || (s.quick && s.path === undefined && cases < expected)) {
    throw new Error(`${name}: only ${cases} case(s) ran (expected ${expected})`);
  }
  return { cases, peakRssKb };
}
