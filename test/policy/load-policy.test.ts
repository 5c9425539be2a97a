import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import { BUILTIN_NAMES, hasErrors, loadPolicies, parsePolicy, parsePolicyText } from '../../src/policy/load-policy.js';
import type { Rule } from '../../src/policy/policy-types.js';

/** Fixture paths relative to the working directory, as a user types them (and as problems print them). */
const fixture = (name: string): string => relative(process.cwd(), fileURLToPath(new URL(`../fixtures/policies/${name}`, import.meta.url)));
const rule = (rules: readonly Rule[], id: string): Rule => {
  const r = rules.find((x) => x.id === id);
  if (!r) throw new Error(`no rule ${id}`);
  return r;
};

describe('built-in policies', () => {
  it.each(BUILTIN_NAMES)('%s loads with no problem at all', async (name) => {
    const { policy, problems } = await loadPolicies([name]);
    expect(problems).toEqual([]);
    expect(policy.rules.length).toBeGreaterThan(0);
    for (const r of policy.rules) expect(r.why.length).toBeGreaterThan(40);
  });

  it('luo-strict denies every write to preserved and depended devices', async () => {
    const { policy } = await loadPolicies(['luo-strict']);
    expect(policy.rules.map((r) => [r.id, r.kind, r.register.base, r.register.space, r.appliesTo]))
      .toEqual([['no-writes', 'deny', '*', 'any', 'preserved+depended']]);
  });

  it('luo-busmaster keeps only COMMAND.MASTER', async () => {
    const { policy } = await loadPolicies(['luo-busmaster']);
    expect(policy.rules.map((r) => [r.id, r.kind, r.register.text, r.mask, r.fields])).toEqual([['bus-master', 'preserve', 'COMMAND', 0x4, ['MASTER']]]);
  });

  it('luo-default composes luo-busmaster first and covers what the series preserve', async () => {
    const { policy } = await loadPolicies(['luo-default']);
    expect(policy.sources).toEqual(['luo-busmaster', 'luo-default']);
    expect(rule(policy.rules, 'bus-master').source).toBe('luo-busmaster');
    const brief = (id: string): [string, string, number, string] => {
      const r = rule(policy.rules, id);
      return [r.kind, r.register.text, r.mask, r.appliesTo];
    };
    expect(brief('bus-number-secondary')).toEqual(['preserve', 'SECONDARY_BUS', 0xff, 'depended']);
    expect(brief('acs-control')).toEqual(['preserve', 'ECAP_ACS+0x6', 0xffff, 'preserved+depended']);
    expect(brief('ari-forwarding')).toEqual(['preserve', 'CAP_EXP+0x28', 0x20, 'depended']);
    expect(brief('decode')).toEqual(['preserve', 'COMMAND', 0x3, 'preserved+depended']);
    expect(brief('bar-0')).toEqual(['preserve', 'BASE_ADDRESS_0', 0xffffffff, 'preserved']);
    expect(brief('rom-bar')).toEqual(['preserve', 'ROM_ADDRESS', 0xffffffff, 'preserved']);
    expect(brief('window-io-base-upper16')).toEqual(['preserve', 'IO_BASE_UPPER16', 0xffff, 'depended']);
    expect(brief('bridge-rom-bar')).toEqual(['preserve', 'BRIDGE_ROM_ADDRESS', 0xffffffff, 'depended']);
    expect(brief('sriov-vf-enable')).toEqual(['preserve', 'ECAP_SRIOV+0x8', 0x9, 'preserved+depended']);
    expect(brief('power-state')).toEqual(['preserve', 'CAP_PM+0x4', 0x3, 'preserved+depended']);
    expect(brief('flr')).toEqual(['preserve', 'CAP_EXP+0x8', 0x8000, 'preserved']);
    expect(brief('secondary-bus-reset')).toEqual(['preserve', 'BRIDGE_CONTROL', 0x40, 'depended']);
    expect(brief('link-control')).toEqual(['preserve', 'CAP_EXP+0x10', 0x70, 'preserved+depended']);
    expect(brief('mps-mrrs')).toEqual(['preserve', 'CAP_EXP+0x8', 0x70e0, 'preserved+depended']);
    const expects = policy.rules.filter((r) => r.kind === 'expect');
    expect(expects.map((r) => [r.id, r.register.text, r.mask, r.severity, r.callSites?.[0]])).toEqual([
      ['msi-init-disable', 'CAP_MSI+0x2', 0x1, 'info', 'pci_msi_init'],
      ['msix-init-disable', 'CAP_MSIX+0x2', 0x8000, 'info', 'pci_msix_init'],
      ['msi-driver-setup', 'CAP_MSI+0x2', 0x71, 'info', '__pci_enable_msi_range'],
      ['msix-driver-setup', 'CAP_MSIX+0x2', 0xc000, 'info', '__pci_enable_msix_range'],
      // RW1C bits only: the masks are the fields the register tables mark write-1-to-clear.
      ['status-clear', 'STATUS', 0xf900, 'info', 'pci_status_get_and_clear_errors'],
      ['sec-status-clear', 'SEC_STATUS', 0xf900, 'info', 'pci_scan_bridge_extend'],
      ['devsta-clear', 'CAP_EXP+0xa', 0xf, 'info', 'pcie_clear_device_status'],
      ['aer-uncor-clear', 'ECAP_AER+0x4', 0x03fff030, 'info', 'pci_aer_raw_clear_status'],
      ['aer-cor-clear', 'ECAP_AER+0x10', 0xf1c1, 'info', 'pci_aer_raw_clear_status'],
      ['aer-root-status-clear', 'ECAP_AER+0x30', 0x7f, 'info', 'pci_aer_raw_clear_status'],
      ['pme-status-clear', 'CAP_EXP+0x20', 0x10000, 'info', 'pcie_clear_root_pme_status'],
    ]);
    expect(policy.rules.filter((r) => r.kind !== 'expect').every((r) => r.severity === 'error')).toBe(true);
  });
});

describe('a broken policy file', () => {
  it('reports every mistake at once, each with its code and JSON path', async () => {
    const { problems } = await loadPolicies([fixture('broken.json')]);
    expect(problems.every((p) => p.file === fixture('broken.json') && p.level === 'error')).toBe(true);
    expect(problems.map((p) => [p.code, p.path])).toEqual([
      ['POLICY_UNKNOWN_KEY', '$.descripton'],
      ['POLICY_VERSION', "$['cfgscope-policy']"],
      ['POLICY_BAD_SELECTOR', '$.preserved[0].bdf'],
      ['POLICY_BAD_NUMBER', '$.preserved[1].vendor'],
      ['POLICY_BAD_SELECTOR', '$.preserved[2]'],
      ['POLICY_BAD_SELECTOR', '$.preserved[3].classMask'],
      ['POLICY_UNKNOWN_KEY', '$.preserved[4].devcie'],
      ['POLICY_MISSING_WHY', '$.rules[0].why'],
      ['POLICY_UNKNOWN_REGISTER', '$.rules[1].register'],
      ['POLICY_UNKNOWN_FIELD', '$.rules[2].field'],
      ['POLICY_UNKNOWN_FIELD', '$.rules[3].field[1]'],
      ['POLICY_BAD_NUMBER', '$.rules[4].bits'],
      ['POLICY_BITS_OUT_OF_RANGE', '$.rules[5].bits'],
      ['POLICY_FIELD_AND_BITS', '$.rules[6].bits'],
      ['POLICY_BAD_KIND', '$.rules[7].kind'],
      ['POLICY_BAD_SEVERITY', '$.rules[8].severity'],
      ['POLICY_TARGET_NEEDS_VALUE', '$.rules[9]'],
      ['POLICY_VALUE_OUTSIDE_MASK', '$.rules[10].value'],
      ['POLICY_BAD_AT', '$.rules[11].at'],
      ['POLICY_KEY_NOT_FOR_KIND', '$.rules[12].callSites'],
      ['POLICY_BAD_CALL_SITE', '$.rules[13].callSites[0]'],
      ['POLICY_BAD_APPLIES_TO', '$.rules[14].appliesTo'],
      ['POLICY_BAD_WILDCARD', '$.rules[15].field'],
      ['POLICY_DUPLICATE_ID', '$.rules[16].id'],
      ['POLICY_BAD_ID', '$.rules[17].id'],
      ['POLICY_MISSING_KEY', '$.rules[18].id'],
      ['POLICY_UNKNOWN_KEY', '$.rules[19].reason'],
      ['POLICY_UNKNOWN_REGISTER', '$.rules[20].register'],
      ['POLICY_UNKNOWN_REGISTER', '$.rules[21].register'],
      ['POLICY_BAD_TYPE', '$.rules[22]'],
      ['POLICY_MISSING_WHY', '$.rules[23].why'],
      ['POLICY_EXTENDS_NOT_FOUND', '$.extends[0]'],
      ['POLICY_EXTENDS_CYCLE', '$.extends[1]'],
    ]);
  });

  it('explains what is wrong in words a user can act on', async () => {
    const { problems } = await loadPolicies([fixture('broken.json')]);
    const at = (path: string): string => problems.find((p) => p.path === path)!.message;
    expect(at('$.rules[2].field')).toContain('has no field "ARI_FORWARDING"; its fields: COMP_TIMEOUT, COMP_TMOUT_DIS, ARI,');
    expect(at('$.rules[21].register')).toBe('CAP_EXP has no register at +0x9; give its width (CAP_EXP+0x9.w)');
    expect(at('$.extends[1]')).toBe(`extends itself: ${fixture('broken.json')} -> ${fixture('broken.json')}`);
  });

  it('names the line of a JSON syntax error (here a trailing comma Node 20 gives no position for)', async () => {
    const { problems } = await loadPolicies([fixture('bad-json.json')]);
    expect(problems).toMatchObject([{ code: 'POLICY_BAD_JSON', file: fixture('bad-json.json'), path: '$', level: 'error', line: 5 }]);
    // The words are V8's (they vary between Node versions); the place is cfgscope's own.
    expect(problems[0]!.message).toMatch(/^line 5 column 3: \S.*\]/);
  });

  it('reports a spec that is neither a built-in nor a file', async () => {
    const { problems } = await loadPolicies(['luo-defualt']);
    expect(problems.map((p) => [p.code, p.file])).toEqual([['POLICY_NOT_FOUND', 'luo-defualt']]);
    expect(problems[0]!.message).toContain('luo-strict, luo-busmaster, luo-default');
  });
});

describe('composition', () => {
  it('extends a built-in: nvme-preserved marks 0000:02:00.0 and judges it by luo-default', async () => {
    const { policy, problems } = await loadPolicies([fixture('nvme-preserved.json')]);
    expect(problems).toEqual([]);
    expect(policy.sources).toEqual(['luo-busmaster', 'luo-default', fixture('nvme-preserved.json')]);
    expect(policy.preserved).toEqual([{ bdf: '0000:02:00.0' }]);
    expect(policy.rules).toEqual((await loadPolicies(['luo-default'])).policy.rules);
  });

  it('extends a relative file, overrides a rule by id in place, accumulates selectors', async () => {
    const { policy, problems } = await loadPolicies([fixture('override.json')]);
    expect(problems.map((p) => [p.code, p.level, p.file, p.path])).toEqual([['POLICY_OVERRIDE', 'warning', fixture('override.json'), '$.rules[0]']]);
    expect(hasErrors(problems)).toBe(false);
    expect(policy.sources).toEqual(['luo-busmaster', 'luo-default', fixture('nvme-preserved.json'), fixture('override.json')]);
    expect(policy.rules[0]).toMatchObject({ id: 'bus-master', severity: 'critical', source: fixture('override.json') });
    expect(policy.rules.filter((r) => r.id === 'bus-master')).toHaveLength(1);
    expect(policy.preserved).toEqual([
      { bdf: '0000:02:00.0' },
      { vendor: 0x1b36, device: 0x0010, class: 0x010800, classMask: 0xffff00 },
    ]);
    expect(rule(policy.rules, 'ats-on')).toMatchObject({ kind: 'target', mask: 0x801f, target: { value: 0x8005, at: 'end' }, severity: 'error' });
    // allow is expect by another name.
    expect(rule(policy.rules, 'driver-msix')).toMatchObject({ kind: 'expect', severity: 'info', callSites: ['nvme_setup_irqs'], mask: 0xc000 });
  });

  it('loads each source once: a built-in named again is not replayed over what came after it', async () => {
    const { policy, problems } = await loadPolicies(['luo-default', fixture('nvme-preserved.json'), 'luo-busmaster']);
    expect(problems).toEqual([]);
    expect(policy.sources).toEqual(['luo-busmaster', 'luo-default', fixture('nvme-preserved.json')]);
  });

  it('stacks a user file on luo-strict without extends', async () => {
    const { policy, problems } = await loadPolicies(['luo-strict', fixture('nvme-preserved.json')]);
    expect(problems).toEqual([]);
    expect(policy.rules[0]!.id).toBe('no-writes');
    expect(policy.rules).toHaveLength(1 + (await loadPolicies(['luo-default'])).policy.rules.length);
  });
});

describe('parsePolicy (pure)', () => {
  const one = (r: Record<string, unknown>): { rule: Rule | undefined; codes: string[] } => {
    const { document, problems } = parsePolicy({ 'cfgscope-policy': 1, rules: [{ id: 'r', why: 'because', ...r }] }, 'mem.json');
    return { rule: document.rules[0], codes: problems.map((p) => p.code) };
  };
  const mask = (register: string, field: string | string[]): number | undefined => one({ kind: 'preserve', register, field }).rule?.mask;

  it('resolves fields through the register tables', () => {
    expect(mask('COMMAND', 'MASTER')).toBe(0x4);
    expect(mask('CAP_EXP+0x28', 'ARI')).toBe(0x20);
    expect(mask('CAP_PM+0x4', 'PS')).toBe(0x3);
    expect(mask('ECAP_SRIOV+0x8', 'VFE')).toBe(0x1);
    expect(mask('BRIDGE_CONTROL', 'bus_reset')).toBe(0x40);
    expect(one({ kind: 'preserve', register: 'COMMAND', field: 'master' }).rule?.fields).toEqual(['MASTER']);
  });

  it('resolves registers the way setpci names them', () => {
    const ref = (register: string): unknown => one({ kind: 'deny', register }).rule?.register;
    expect(ref('CAP_EXP+0x8')).toEqual({ text: 'CAP_EXP+0x8', base: 'CAP_EXP', rel: 8, instance: 0, width: 2, space: 'cap' });
    expect(ref('CAP_PM+4')).toMatchObject({ base: 'CAP_PM', rel: 4, width: 2 });
    expect(ref('ECAP_ACS+6@1')).toEqual({ text: 'ECAP_ACS+6@1', base: 'ECAP_ACS', rel: 6, instance: 1, width: 2, space: 'ecap' });
    expect(ref('COMMAND')).toEqual({ text: 'COMMAND', base: 'COMMAND', rel: 4, instance: 0, width: 2, space: 'header' });
    expect(ref('BASE_ADDRESS_0+0x4')).toMatchObject({ base: 'BASE_ADDRESS_1', rel: 0x14, width: 4 });
    expect(ref('SECONDARY_BUS')).toMatchObject({ rel: 0x19, width: 1 });
    expect(ref('CAP_MSI+0x8')).toMatchObject({ width: 4 });
    expect(ref('CAP_MSI+0x8.w')).toMatchObject({ width: 2 });
    expect(ref('CAP_VNDR+0x4.l')).toMatchObject({ base: 'CAP_VNDR', rel: 4, width: 4 });
    expect(ref('ECAP0x002e+0x8')).toMatchObject({ base: 'ECAP0x002e', space: 'ecap' });
    expect(one({ kind: 'deny', register: 'CAP_PM+0x8' }).codes).toEqual(['POLICY_UNKNOWN_REGISTER']);
    expect(one({ kind: 'deny', register: 'CAP_VNDR+0x4' }).codes).toEqual(['POLICY_UNKNOWN_REGISTER']);
  });

  it('takes numbers as JSON integers or hex strings, nothing else', () => {
    expect(one({ kind: 'preserve', register: 'CAP_EXP+0x8', bits: '0x00E0' }).rule?.mask).toBe(0xe0);
    expect(one({ kind: 'preserve', register: 'CAP_EXP+0x8', bits: 224 }).rule?.mask).toBe(0xe0);
    expect(one({ kind: 'preserve', register: 'CAP_EXP+0x8', bits: '224' }).codes).toEqual(['POLICY_BAD_NUMBER']);
    expect(one({ kind: 'preserve', register: 'CAP_EXP+0x8', bits: 1.5 }).codes).toEqual(['POLICY_BAD_NUMBER']);
    expect(one({ kind: 'target', register: 'ECAP_ATS+0x6', field: ['ENABLE', 'STU'], value: '0x8005', at: { phase: 'insmod nvme' } }).rule?.target)
      .toEqual({ value: 0x8005, at: { phase: 'insmod nvme' } });
    const sel = parsePolicy({ 'cfgscope-policy': 1, preserved: [{ bdf: '2:0.0', vendor: 6966, device: '0x10', class: '0x010802' }] }, 'mem.json');
    expect(sel.document.preserved).toEqual([{ bdf: '0000:02:00.0', vendor: 0x1b36, device: 0x10, class: 0x010802 }]);
    expect(parsePolicy({ 'cfgscope-policy': 1, preserved: [{ vendor: '0x10000' }] }, 'm').problems.map((p) => p.code)).toEqual(['POLICY_BAD_NUMBER']);
  });

  it('defaults severity by kind and devices to preserved+depended', () => {
    expect(one({ kind: 'preserve', register: 'COMMAND' }).rule).toMatchObject({ severity: 'error', appliesTo: 'preserved+depended', mask: 0xffff, fields: [] });
    expect(one({ kind: 'expect', register: 'COMMAND' }).rule).toMatchObject({ severity: 'info' });
    expect(one({ kind: 'expect', register: 'COMMAND' }).rule?.callSites).toBeUndefined();
    expect(one({ kind: 'deny', register: '*' }).rule).toMatchObject({ severity: 'error', mask: 0xffffffff });
  });

  it('refuses a target on every register, and an empty call-site list', () => {
    expect(one({ kind: 'target', register: '*', value: 1 }).codes).toEqual(['POLICY_BAD_WILDCARD']);
    expect(one({ kind: 'expect', register: 'COMMAND', callSites: [] }).codes).toEqual(['POLICY_BAD_CALL_SITE']);
    // Clones are matched by their plain name; a suffixed one would never match.
    const clone = parsePolicy({ 'cfgscope-policy': 1, rules: [{ id: 'r', kind: 'expect', register: 'COMMAND', callSites: ['aer_enable_rootport.isra.0'], why: 'w' }] }, 'm');
    expect(clone.problems.map((p) => [p.code, p.path, p.message])).toEqual([['POLICY_BAD_CALL_SITE', '$.rules[0].callSites[0]',
      'give the plain function name "aer_enable_rootport": it also matches its compiler clones such as "aer_enable_rootport.isra.0"']]);
  });

  it('rejects a policy that is not an object, and text that is not JSON', () => {
    expect(parsePolicy([], 'a.json').problems.map((p) => [p.code, p.path])).toEqual([['POLICY_BAD_TYPE', '$']]);
    expect(parsePolicyText('', 'e.json').problems.map((p) => [p.code, p.line])).toEqual([['POLICY_BAD_JSON', 1]]);
    expect(parsePolicyText('{\n  "a": x\n}', 'e.json').problems[0]!.message).toMatch(/^line 2 column 8: \S/);
    // Node 20's V8 names the newline after `tru` as the token: the message must stay on one line.
    expect(parsePolicyText('{\n  "a": tru\n}', 'e.json').problems[0]!.message).toMatch(/^line 2 column 8: [^\n]+$/);
  });
});
