// What `check` and `report` share: `--preserve <bdf>` parsing, and loading the composed policy
// with every problem printed first and an error when any is fatal.

import { printable } from '../model/escape-text.js';
import { InvalidArgumentError } from 'commander';
import { formatBdf, parseBdf } from '../model/bdf.js';
import { CfgscopeError } from '../model/errors.js';
import { loadPolicies } from '../policy/load-policy.js';
import { formatProblem } from '../policy/policy-explain.js';
import { SEVERITIES, type Policy, type Severity } from '../policy/policy-types.js';
import type { CliIo } from './cli-types.js';

/** commander option parser for a repeatable `--preserve 0000:3b:00.0`. */
export function parseBdfArg(v: string, prev: string[] = []): string[] {
  const b = parseBdf(v);
  if (!b) throw new InvalidArgumentError('a PCI address like 0000:3b:00.0');
  return [...prev, formatBdf(b.seg, b.bus, b.devfn)];
}

/** The composed policy plus `--preserve` devices; throws POLICY_INVALID after printing every problem. */
export async function policyForRun(specs: readonly string[], preserve: readonly string[], io: CliIo, notDone: string): Promise<Policy> {
  const { policy, problems } = await loadPolicies(specs);
  for (const bdf of preserve) policy.preserved.push({ bdf });
  for (const p of problems) io.stderr(`${printable(formatProblem(p))}\n`);
  const errors = problems.filter((p) => p.level === 'error');
  if (errors.length > 0) throw new CfgscopeError('POLICY_INVALID', `${errors.length} error(s) in the policy; ${notDone}`, { file: errors[0]!.file, path: errors[0]!.path });
  return policy;
}

/** `--fail-on <severity>`: one of the policy severities. */
export function parseSeverity(v: string): Severity {
  if (!(SEVERITIES as readonly string[]).includes(v)) throw new InvalidArgumentError(`one of ${SEVERITIES.join(', ')}`);
  return v as Severity;
}
