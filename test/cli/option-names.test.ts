// One meaning per option name across commands (issue 13): an option spelled the same in two
// commands takes a value in both or in neither, with the same short flag, a short flag stands for one
// long option everywhere, and a visible `--format` is an output format (it refuses every input
// format's name; the input format is `--input-format`).
import { describe, expect, it } from 'vitest';
import type { Command, Option } from 'commander';
import { buildProgram } from '../../src/cli/main.js';
import { FORMATS } from '../../src/parsers/index.js';

const program = buildProgram({ stdout: () => {}, stderr: () => {} }, { code: 0 });
const commands = (c: Command): Command[] => [c, ...c.commands.flatMap(commands)];
const options: { command: string; option: Option }[] = commands(program).flatMap((c) => c.options.map((option) => ({ command: c.name(), option })));
/** Whether it takes a value: `--devices <source>` and `--output <capture>` both `<value>`; `--json` ''. */
const takes = (o: Option): string => (o.required ? '<value>' : o.optional ? '[value]' : '');

describe('option names', () => {
  it('sees the options of every command', () => {
    expect(new Set(options.map((o) => o.command)).size).toBeGreaterThanOrEqual(11);
  });

  it('the address a server listens on is --listen <host:port> in every command (capture\'s --serve is its hidden old spelling)', () => {
    const addresses = options.filter((o) => /<host:port>/.test(o.option.flags));
    expect(new Set(addresses.filter((o) => !o.option.hidden).map((o) => o.option.long))).toEqual(new Set(['--listen']));
    expect(addresses.filter((o) => !o.option.hidden).map((o) => o.command).sort()).toEqual(['capture', 'serve']);
    expect(addresses.filter((o) => o.option.hidden).map((o) => `${o.command} ${o.option.long}`)).toEqual(['capture --serve']);
  });

  it('an option name takes a value or not, and has the same short flag, in every command', () => {
    const byName = new Map<string, Set<string>>();
    // Hidden options are retired spellings that only refuse themselves (OPTION_RENAMED).
    for (const { command, option } of options.filter((o) => !o.option.hidden)) {
      const shape = `${option.short ?? '(no short flag)'} ${takes(option)}`;
      const seen = byName.get(option.long!) ?? new Set<string>();
      seen.add(shape);
      byName.set(option.long!, seen);
      if (seen.size > 1) expect.fail(`${option.long} (${command}) is used as ${[...seen].join(' and ')}`);
    }
    expect(byName.size).toBeGreaterThan(20);
  });

  it('a short flag stands for one long option', () => {
    const longs = new Map<string, Set<string>>();
    for (const { option } of options) if (option.short) longs.set(option.short, (longs.get(option.short) ?? new Set()).add(option.long!));
    expect([...longs].filter(([, l]) => l.size > 1)).toEqual([]);
  });

  it('a visible --format is an output format: it refuses the input formats\' names', () => {
    const visible = options.filter(({ option }) => option.long === '--format' && !option.hidden);
    expect(visible.map((o) => o.command)).toContain('report');
    for (const { command, option } of visible) {
      for (const f of FORMATS) expect(() => option.parseArg!(f.kind, undefined), `${command} --format ${f.kind}`).toThrow(/--input-format/);
    }
  });

  it('every command that reads a trace has --input-format', () => {
    const have = options.filter(({ option }) => option.long === '--input-format').map((o) => o.command).sort();
    expect(have).toEqual(['check', 'diff', 'import', 'replay', 'report', 'serve']);
  });
});
