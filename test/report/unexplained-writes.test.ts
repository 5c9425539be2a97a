// The writes the policy is silent about, on the bundled real capture with the nvme preserved under
// luo-default: exactly the ones no rule covers, and none under luo-strict (deny * covers all).
import { describe, expect, it } from 'vitest';
import { lastValueFrom, toArray } from 'rxjs';
import { Inventory } from '../../src/identity/inventory.js';
import { loadPolicies } from '../../src/policy/load-policy.js';
import { reportEvents } from '../../src/report/report-events.js';
import type { UnexplainedWrite } from '../../src/report/unexplained-writes.js';
import { recordsFromFile, resolveFormat } from '../../src/sources/records-from-file.js';

const CAPTURE = 'replays/qemu-6.1-q35-basic/kernel.capture.ndjson';

async function unexplained(policyName: string): Promise<UnexplainedWrite[]> {
  const { policy } = await loadPolicies([policyName]);
  policy.preserved.push({ bdf: '0000:02:00.0' });
  const inventory = new Inventory();
  const src = recordsFromFile(CAPTURE, await resolveFormat(CAPTURE));
  const events = await lastValueFrom(src.pipe(reportEvents(policy, inventory), toArray()));
  return events.filter((e): e is UnexplainedWrite => e.kind === 'unexplained');
}

const brief = (u: UnexplainedWrite): string =>
  `${u.device.bdf} ${u.register} ${u.old === null ? '?' : u.old.toString(16)}->${u.new!.toString(16)} ${u.fields.join(',')} @${u.callSite}`;

describe('unexplainedWrites', () => {
  it('luo-default: the INTx toggles, the bridge BARs, root control and AER command, the sysfs write', async () => {
    const all = await unexplained('luo-default');
    const asked = all.filter((u) => u.change !== 'same');
    expect(asked.map(brief)).toEqual([
      '0000:00:04.0 COMMAND 103->503 INTX_DISABLE 0->1 @pci_setup_device.cold',
      '0000:00:04.0 COMMAND 503->103 INTX_DISABLE 1->0 @pci_setup_device.cold',
      '0000:00:04.0 BASE_ADDRESS_0 fe401000->ffffffff  @__pci_read_base',
      // The restores' old values depend on the BARs' sizes (their low bits read 0): unknown.
      '0000:00:04.0 BASE_ADDRESS_0 ?->fe401000  @__pci_read_base',
      '0000:00:04.0 BASE_ADDRESS_1 0->ffffffff  @__pci_read_base',
      '0000:00:04.0 BASE_ADDRESS_1 ?->0  @__pci_read_base',
      '0000:00:04.0 CAP_EXP+0x8 0->f CERE 0->1,NFERE 0->1,FERE 0->1,URRE 0->1 @pci_enable_pcie_error_reporting',
      '0000:02:00.0 COMMAND 107->507 INTX_DISABLE 0->1 @pci_setup_device.cold',
      '0000:02:00.0 COMMAND 507->107 INTX_DISABLE 1->0 @pci_setup_device.cold',
      '0000:00:04.0 COMMAND 107->507 INTX_DISABLE 0->1 @pci_intx',
      '0000:00:04.0 CAP_EXP+0x1c 0->8 PMEIE 0->1 @pcie_pme_probe.cold',
      '0000:00:04.0 CAP_EXP+0x1c 8->0 PMEIE 1->0 @aer_enable_rootport.isra.0',
      '0000:00:04.0 ECAP_AER+0x2c 0->7 COR_EN 0->1,NONFATAL_EN 0->1,FATAL_EN 0->1 @aer_enable_rootport.isra.0',
      '0000:02:00.0 COMMAND 107->507 INTX_DISABLE 0->1 @pci_intx',
      '0000:02:00.0 COMMAND 507->107 INTX_DISABLE 1->0 @pci_intx',
      '0000:02:00.0 COMMAND 107->507 INTX_DISABLE 0->1 @pci_intx',
      '0000:02:00.0 LATENCY_TIMER ?->20  @pci_write_config',
    ]);
    // Writes that rewrote uncovered bits with the value they had are counted, never asked about.
    expect(all.filter((u) => u.change === 'same')).toHaveLength(51);
    expect(asked.every((u) => u.device.role !== 'other')).toBe(true);
  });

  it('luo-strict: deny * covers every bit, nothing is unexplained', async () => {
    expect(await unexplained('luo-strict')).toEqual([]);
  });

  it('reportEvents: findings and unexplained writes from one pass, each write\'s findings first', async () => {
    const { policy } = await loadPolicies(['luo-default']);
    policy.preserved.push({ bdf: '0000:02:00.0' });
    const inventory = new Inventory();
    const src = recordsFromFile(CAPTURE, await resolveFormat(CAPTURE));
    const events = await lastValueFrom(src.pipe(reportEvents(policy, inventory), toArray()));
    const kinds = events.map((e) => e.kind);
    expect(kinds.filter((k) => k === 'finding')).toHaveLength(56);
    expect(kinds.filter((k) => k === 'unexplained')).toHaveLength(68);
    expect(kinds.at(-1)).toBe('end');
    // A write with both (BAR sizing clears decode, a rule's business, and rewrites the other
    // COMMAND bits unchanged): its finding comes first, then its unexplained part.
    const idx = events.findIndex((e) => e.kind === 'unexplained' && e.register === 'COMMAND' && e.callSite === '__pci_read_base');
    const f = events.findIndex((e) => e.kind === 'finding' && e.index === (events[idx] as UnexplainedWrite).index);
    expect(f).toBeGreaterThanOrEqual(0);
    expect(f).toBeLessThan(idx);
  });
});
