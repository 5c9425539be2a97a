import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import { CommanderError } from 'commander';
import { EXIT_USAGE, type CliResult } from '../../src/cli/cli-types.js';
import { buildProgram, main } from '../../src/cli/main.js';
import { policyLintCommand } from '../../src/cli/policy-lint-command.js';
import type { CliRun } from '../cli/run-cli.js';

const fixture = (name: string): string => relative(process.cwd(), fileURLToPath(new URL(`../fixtures/policies/${name}`, import.meta.url)));

/**
 * `cfgscope policy lint ...` in-process through main(), as test/cli/run-cli.ts does. Until main.ts
 * registers the command, the same program is built with it added, so these tests run either way.
 */
async function lint(...specs: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io = { stdout: (t: string) => { stdout += t; }, stderr: (t: string) => { stderr += t; } };
  const argv = ['node', 'cfgscope', 'policy', 'lint', ...specs];
  const probe: CliResult = { code: 0 };
  if (buildProgram(io, probe).commands.some((c) => c.name() === 'policy')) {
    return { code: await main(argv, io), stdout, stderr };
  }
  const result: CliResult = { code: 0 };
  const program = buildProgram(io, result);
  policyLintCommand(program, io, result);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    // What main() does with commander's usage errors.
    if (e instanceof CommanderError) return { code: e.exitCode === 0 ? 0 : EXIT_USAGE, stdout, stderr };
    throw e;
  }
  return { code: result.code, stdout, stderr };
}

describe('cfgscope policy lint', () => {
  it('prints every problem of a broken file as file: path: CODE: message, and exits 65', async () => {
    const r = await lint(fixture('broken.json'));
    expect(r.code).toBe(65);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(34);
    expect(lines[0]).toBe(`${fixture('broken.json')}: $.descripton: POLICY_UNKNOWN_KEY: unknown key "descripton"; expected one of $schema, cfgscope-policy, name, description, extends, preserved, rules`);
    expect(lines).toContain(`${fixture('broken.json')}: $.rules[1].register: POLICY_UNKNOWN_REGISTER: unknown register "COMAND": not a header register nor a capability setpci names`);
    expect(lines).toContain(`${fixture('broken.json')}: $.rules[0].why: POLICY_MISSING_WHY: every rule needs a non-empty "why": the reason reports quote`);
    expect(lines.at(-1)).toBe('33 errors, 0 warnings: policy not usable');
    expect(r.stdout).not.toContain('rules (');
  });

  it('puts the line of a JSON syntax error after the file name', async () => {
    const r = await lint(fixture('bad-json.json'));
    expect(r.code).toBe(65);
    expect(r.stdout).toMatch(new RegExp(`^${fixture('bad-json.json').replace(/[.]/g, '\\.')}:5: \\$: POLICY_BAD_JSON: line 5 column 3: `));
  });

  it('explains a valid policy rule by rule and exits 0', async () => {
    const r = await lint(fixture('nvme-preserved.json'));
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`policy composed from: luo-busmaster, luo-default, ${fixture('nvme-preserved.json')}`);
    expect(r.stdout).toContain('  bdf 0000:02:00.0\n');
    expect(r.stdout).toContain([
      '  bus-master: preserve, error',
      '    register:   COMMAND[MASTER] mask 0x0004: must keep its value (the same value written back passes)',
      '    applies to: preserved+depended devices',
    ].join('\n'));
    expect(r.stdout).toContain('    call sites: pci_msix_init\n');
    await expect(r.stdout).toMatchFileSnapshot('./lint-nvme-preserved.txt');
  });

  it('shows warnings (an override) and still explains, exit 0', async () => {
    const r = await lint(fixture('override.json'));
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`${fixture('override.json')}: $.rules[0]: POLICY_OVERRIDE: warning: rule "bus-master" replaces the one from luo-busmaster (preserve COMMAND -> preserve COMMAND)`);
    expect(r.stdout).toContain('    target:     0x8005 under 0x801f, at the end of the trace\n');
    expect(r.stdout).toContain(`    from:       ${fixture('override.json')}\n`);
    expect(r.stdout).toContain('vendor 0x1b36, device 0x0010, class 0x010800 under mask 0xffff00');
  });

  it('explains a built-in by name', async () => {
    const r = await lint('luo-strict');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('    register:   * (every register): must not be written\n');
    expect(r.stdout).toContain('preserved devices: none selected here');
  });

  it('needs at least one policy', async () => {
    const r = await lint();
    expect(r.code).toBe(64);
    expect(r.stderr).toContain("missing required argument 'policy'");
  });
});
