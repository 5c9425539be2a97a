// Domain-primer scenarios the lab cannot produce, on edited copies of the real capture
// (test/fixtures/edited/README.md), judged by luo-default with the nvme 0000:02:00.0 preserved.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Finding } from '../../src/policy/findings.js';
import { applyEdit } from '../support/apply-edit.js';

const root = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'cfgscope-edited-'));

function findings(capture: string): Finding[] {
  const r = spawnSync(process.execPath, [`${root}bin/cfgscope.js`, 'check', capture, '--json', '--policy', 'luo-default', '--preserve', '0000:02:00.0'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Finding & { type: string }).filter((l) => l.type === 'finding');
}

const key = (f: Finding): string => `${f.verdict} ${f.rule.id} ${f.device.bdf} ${f.register} ${f.fields.join(',')} ${f.change} @${f.callSite}`;
const baseline = new Set(findings(`${root}replays/qemu-6.1-q35-basic/kernel.capture.ndjson`).map((f) => `${key(f)} ${f.index}`));
/** Findings the edit added: the edited capture's, minus the real capture's (indexes after the insert shift). */
function added(name: string): string[] {
  const all = findings(applyEdit(`${root}test/fixtures/edited/${name}`, dir));
  return all.filter((f) => f.rule.id !== 'no-writes').map(key).filter((k) => ![...baseline].some((b) => b.startsWith(`${k} `)));
}

describe('edited scenarios under luo-default', () => {
  it('ACS control written with the inherited value passes', () => {
    expect(added('acs-same-value.json')).toEqual([]);
  });

  it('ACS control written with a different value is a violation, with the field that moved', () => {
    expect(added('acs-changed.json')).toEqual(['violation acs-control 0000:00:04.0 ECAP_ACS+0x6 DT 0->1 changed @pci_std_enable_acs']);
  });

  it('renumbering the bridge above the preserved device is a violation on both moved bus numbers', () => {
    const all = findings(applyEdit(`${root}test/fixtures/edited/bus-renumber.json`, dir)).filter((f) => f.rule.id.startsWith('bus-number-'));
    expect(all.map((f) => [f.register, f.old, f.new])).toEqual([['SECONDARY_BUS', 2, 5], ['SUBORDINATE_BUS', 2, 5]]);
    expect(added('bus-renumber.json')).toEqual([
      'violation bus-number-secondary 0000:00:04.0 SECONDARY_BUS  changed @pci_scan_bridge_extend',
      'violation bus-number-subordinate 0000:00:04.0 SUBORDINATE_BUS  changed @pci_scan_bridge_extend',
    ]);
  });

  it('turning ARI forwarding on at the bridge is a violation', () => {
    expect(added('ari-forwarding-set.json')).toEqual(['violation ari-forwarding 0000:00:04.0 CAP_EXP+0x28 ARI 0->1 changed @pci_configure_ari']);
  });
});
