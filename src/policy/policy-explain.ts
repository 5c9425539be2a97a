// Text for `cfgscope policy lint`: one line per problem (`file: $.path: CODE: message`, with
// `file:line` when the line is known), and a readable account of a composed policy: what is
// preserved, then each rule with its register, bits, devices, call sites, reason and source.

import type { DeviceSelector, Policy, Rule } from './policy-types.js';
import { hex, type PolicyLoadProblem } from './policy-problems.js';

export function formatProblem(p: PolicyLoadProblem): string {
  const where = p.line !== undefined ? `${p.file}:${p.line}` : p.file;
  return `${where}: ${p.path}: ${p.code}: ${p.level === 'warning' ? 'warning: ' : ''}${p.message}`;
}

export function describeSelector(s: DeviceSelector): string {
  const parts: string[] = [];
  if (s.bdf !== undefined) parts.push(`bdf ${s.bdf}`);
  if (s.vendor !== undefined) parts.push(`vendor ${hex(s.vendor, 4)}`);
  if (s.device !== undefined) parts.push(`device ${hex(s.device, 4)}`);
  if (s.subvendor !== undefined) parts.push(`subvendor ${hex(s.subvendor, 4)}`);
  if (s.subdevice !== undefined) parts.push(`subdevice ${hex(s.subdevice, 4)}`);
  if (s.class !== undefined) parts.push(`class ${hex(s.class, 6)}${s.classMask !== undefined ? ` under mask ${hex(s.classMask, 6)}` : ''}`);
  if (s.driver !== undefined) parts.push(`driver ${s.driver}`);
  return parts.join(', ');
}

/** `COMMAND[MASTER] mask 0x0004`, `CAP_EXP+0x28[ARI] mask 0x0020`, `* (every register)`. */
export function describeRegister(rule: Rule): string {
  const reg = rule.register;
  if (reg.base === '*') return '* (every register)';
  const fields = rule.fields.length > 0 ? `[${rule.fields.join(', ')}]` : '';
  const all = reg.width >= 4 ? 0xffffffff : (1 << (reg.width * 8)) - 1;
  const bits = rule.mask === all ? `all ${reg.width * 8} bits` : `mask ${hex(rule.mask, reg.width * 2)}`;
  return `${reg.text}${fields} ${bits}`;
}

const KIND_WORD: Readonly<Record<Rule['kind'], string>> = {
  preserve: 'must keep its value (the same value written back passes)',
  deny: 'must not be written',
  expect: 'is written, and that is fine',
  target: 'must reach a value',
};

export function explainRule(rule: Rule): string[] {
  const lines = [`  ${rule.id}: ${rule.kind}, ${rule.severity}`];
  lines.push(`    register:   ${describeRegister(rule)}: ${KIND_WORD[rule.kind]}`);
  lines.push(`    applies to: ${rule.appliesTo} devices`);
  if (rule.callSites) lines.push(`    call sites: ${rule.callSites.join(', ')}`);
  if (rule.target) {
    const when = rule.target.at === 'end' ? 'at the end of the trace' : `at the end of phase "${rule.target.at.phase}"`;
    lines.push(`    target:     ${hex(rule.target.value, rule.register.width * 2)} under ${hex(rule.mask, rule.register.width * 2)}, ${when}`);
  }
  lines.push(`    why:        ${rule.why}`);
  lines.push(`    from:       ${rule.source}`);
  return lines;
}

export function explainPolicy(policy: Policy): string[] {
  const lines = [`policy composed from: ${policy.sources.join(', ') || '(nothing)'}`, ''];
  if (policy.preserved.length === 0) {
    lines.push('preserved devices: none selected here (rules for preserved devices apply once devices are marked preserved)');
  } else {
    lines.push(`preserved devices (${policy.preserved.length} selector${policy.preserved.length === 1 ? '' : 's'}; depended bridges and PFs follow from them):`);
    for (const s of policy.preserved) lines.push(`  ${describeSelector(s)}`);
  }
  lines.push('', `rules (${policy.rules.length}):`);
  for (const rule of policy.rules) lines.push(...explainRule(rule));
  return lines;
}
