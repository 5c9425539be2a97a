// `cfgscope policy lint <file|builtin...>`: loads and composes policies the way `check` will,
// prints every problem (`file: $.path: CODE: message`), and, when nothing is an error, explains
// the composed policy rule by rule. Exit status 65 when any problem is an error.

import { printable } from '../model/escape-text.js';
import type { Command } from 'commander';
import { hasErrors, loadPolicies } from '../policy/load-policy.js';
import { explainPolicy, formatProblem } from '../policy/policy-explain.js';
import { BUILTIN_NAMES } from '../policy/builtin/index.js';
import { EXIT_DATA, type CliIo, type CliResult } from './cli-types.js';

export function policyLintCommand(program: Command, io: CliIo, result: CliResult): void {
  const policy = program.command('policy').description('preservation policies (docs/policy.md)');
  policy.command('lint')
    .description('validate policy files and built-ins, composed in order, and explain the result')
    .argument('<policy...>', `policy files or built-in names (${BUILTIN_NAMES.join(', ')})`)
    .action(async (specs: string[]) => {
      const { policy: composed, problems } = await loadPolicies(specs);
      for (const p of problems) io.stdout(`${printable(formatProblem(p))}\n`);
      if (hasErrors(problems)) {
        const errors = problems.filter((p) => p.level === 'error').length;
        io.stdout(`${errors} error${errors === 1 ? '' : 's'}, ${problems.length - errors} warning${problems.length - errors === 1 ? '' : 's'}: policy not usable\n`);
        result.code = EXIT_DATA;
        return;
      }
      if (problems.length > 0) io.stdout('\n');
      io.stdout(`${explainPolicy(composed).map(printable).join('\n')}\n`); // a rule's why is the policy author's text
    });
}
