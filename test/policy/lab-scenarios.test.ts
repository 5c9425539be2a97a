// Domain-primer scenarios the lab made a real kernel do (test/fixtures/lab-*/README.md), judged by
// luo-default: kexec into a second kernel, resets, SR-IOV. Captures: replays/lab-*/ (replays/README.md).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import type { Finding } from '../../src/policy/findings.js';

const root = new URL('../../', import.meta.url).pathname;

function findings(capture: string, ...args: string[]): Finding[] {
  const r = spawnSync(process.execPath, [`${root}bin/cfgscope.js`, 'check', `${root}replays/${capture}`, '--json', '--policy', 'luo-default', ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Finding & { type: string }).filter((l) => l.type === 'finding');
}

const brief = (f: Finding): string =>
  `${f.verdict} ${f.rule.id} ${f.device.bdf} ${f.register} ${f.fields.join(',')} ${f.old === null ? '?' : `0x${f.old.toString(16)}`}->0x${f.new!.toString(16)} @${f.callSite} (${f.phase})`;

describe('kexec: the second kernel on devices the first left configured (lab-kexec)', () => {
  const all = findings('lab-kexec/kernel.capture.ndjson', '--preserve', '0000:03:00.0').map(brief);

  it('pci_msix_init clears the MSI-X enable virtio-net kept across kexec: expected, quietly', () => {
    expect(all).toContain('expected msix-init-disable 0000:03:00.0 CAP_MSIX+0x2 ENABLE 1->0 0x8003->0x3 @pci_msix_init (kernel 2 (after kexec): boot)');
    expect(all.filter((f) => f.startsWith('violation') && f.includes('CAP_MSIX'))).toEqual([]);
  });

  it('shows the old kernel\'s MSI-X disables at shutdown (device side only) with their true old -> new, two-byte writes', () => {
    const r = spawnSync(process.execPath, [`${root}bin/cfgscope.js`, 'replay', `${root}replays/lab-kexec/kernel.capture.ndjson`, '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const phases = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; label?: string; deviceWrites?: { bdf: string; register: string; size: number; callSite: string | null; transitions: { old: string; new: string }[] }[] });
    const shutdown = phases.find((p) => p.type === 'phase' && p.label === 'handover, device side only')!;
    const msix = shutdown.deviceWrites!.filter((w) => w.register === 'CAP_MSIX+0x2').map((w) => `${w.bdf} ${w.size} ${w.transitions.map((t) => `${t.old}->${t.new}`).join(',')}`);
    expect(msix.sort()).toEqual([
      '0000:00:03.0 2 0x8000->0x0000', '0000:00:04.0 2 0x8000->0x0000', '0000:00:05.0 2 0x8000->0x0000',
      '0000:01:00.0 2 0x8004->0x0004', '0000:02:00.0 2 0x8040->0x0040',
    ]);
    // ...so kernel 2's enable of the nvme's MSI-X starts from what the device held: 0x0040.
    const stage2 = phases.find((p) => p.type === 'phase' && p.label === 'kernel 2 (after kexec): PHASE[8] insmod nvme (stage 2)')!;
    expect(stage2.deviceWrites!.find((w) => w.register === 'CAP_MSIX+0x2' && w.callSite === '__pci_enable_msix_range')!.transitions[0]).toMatchObject({ old: '0x0040', new: '0xc040' });
  });

  it('reports nothing where only read-only or self-clearing bits differ (window type nibbles, Retrain Link reading 0, a PME status clear of a 0 bit)', () => {
    expect(all.filter((f) => / PREF_MEMORY_(BASE|LIMIT) /.test(f))).toEqual([]);
    expect(all.filter((f) => f.includes('RL 1->0'))).toEqual([]);
    expect(all.filter((f) => f.startsWith('violation') && f.includes(' CAP_EXP+0x20 '))).toEqual([]);
    // The retrain itself stays: writing Retrain Link 1 is the action the rule is about.
    expect(all).toContain('violation link-control 0000:00:05.0 CAP_EXP+0x10 RL 0->1 0x0->0x20 @pcie_aspm_init_link_state (kernel 2 (after kexec): boot)');
  });

  it('flags the second kernel sizing the preserved device\'s BARs again', () => {
    expect(all).toContain('violation bar-1 0000:03:00.0 BASE_ADDRESS_1  0xfde00000->0xffffffff @__pci_read_base (kernel 2 (after kexec): boot)');
  });
});

describe('resets (lab-resets)', () => {
  it('FLR of the preserved nvme through pcie_flr', () => {
    const all = findings('lab-resets/kernel.capture.ndjson', '--preserve', '0000:02:00.0').map(brief);
    // The old value is the snapshot's DEVCTL word (read as a word: the register's width).
    expect(all).toContain('violation flr 0000:02:00.0 CAP_EXP+0x8 BCR_FLR 0->1 0x0->0x8000 @pcie_flr (PHASE[4] reset flr (stage 1))');
    // pci_restore_state writes DEVCTL back with bit 15 clear: Initiate FLR is self-clearing on an
    // endpoint (it reads 0), so that is no change, whatever the reset left elsewhere.
    expect(all.filter((f) => f.startsWith('violation flr ') && f.includes('@pci_restore_state'))).toEqual([]);
    expect(all).toContain('violation bus-master 0000:02:00.0 COMMAND MASTER 1->0 0x107->0x103 @do_pci_disable_device (PHASE[4] reset flr (stage 1))');
  });

  it('secondary bus reset on the root port above it', () => {
    const all = findings('lab-resets/kernel.capture.ndjson', '--preserve', '0000:02:00.0').map(brief);
    expect(all).toContain('violation secondary-bus-reset 0000:00:04.0 BRIDGE_CONTROL BUS_RESET 0->1 0x2->0x42 @pci_reset_secondary_bus (PHASE[6] reset bus (stage 1))');
  });

  it('PM reset (D3hot and back) of the e1000e through pci_pm_reset', () => {
    const all = findings('lab-resets/kernel.capture.ndjson', '--preserve', '0000:01:00.0').map(brief);
    expect(all).toContain('violation power-state 0000:01:00.0 CAP_PM+0x4 PS D3hot->D0 0x3->0x0 @pci_pm_reset (PHASE[5] reset pm (stage 1))');
  });
});

describe('SR-IOV (lab-sriov)', () => {
  it('VF Enable set by sriov_enable and cleared by sriov_disable', () => {
    const all = findings('lab-sriov/kernel.capture.ndjson', '--preserve', '0000:02:00.0').map(brief);
    expect(all).toContain('violation sriov-vf-enable 0000:02:00.0 ECAP_SRIOV+0x8 VFE 0->1,MSE 0->1 0x10->0x19 @sriov_enable (PHASE[4] sriov_numvfs=1 (stage 1))');
    expect(all).toContain('violation sriov-vf-enable 0000:02:00.0 ECAP_SRIOV+0x8 VFE 1->0,MSE 1->0 0x19->0x10 @sriov_disable (PHASE[5] sriov_numvfs=0 (stage 1))');
  });
});
