// The judge as a pure function: access events built by hand (what the enricher would put on them:
// the device, its identity and role, the register's location, the old value) and a compiled real
// policy; no inventory, no stream. Devices and values are the bundled capture's (root port
// 0000:00:04.0 above the nvme 0000:02:00.0; serial.log's __pci_set_master and pci_intx writes).
import { describe, expect, it } from 'vitest';
import type { AccessEvent, Role } from '../../src/model/events.js';
import type { AccessRecord, DeviceRecord } from '../../src/model/records.js';
import { ByteSource } from '../../src/model/shadow-config.js';
import { compilePolicy } from '../../src/policy/compiled-policy.js';
import type { Finding } from '../../src/policy/findings.js';
import { judge, protectedWrite } from '../../src/policy/judge.js';
import { loadPolicies } from '../../src/policy/load-policy.js';
import { compileLayout } from '../../src/registers/layout.js';

const rootPort: DeviceRecord = { t: 'device', bdf: '0000:00:04.0', vendor: 0x1b36, device: 0x000c, class: 0x060400, headerType: 1, from: 'test', caps: [{ id: 0x10, off: 0x54 }, { id: 0x05, off: 0x48 }] };
const nvme: DeviceRecord = { t: 'device', bdf: '0000:02:00.0', vendor: 0x1b36, device: 0x0010, class: 0x010802, headerType: 0, from: 'test', caps: [{ id: 0x11, off: 0x40 }, { id: 0x10, off: 0x80 }] };
const write: AccessRecord = { t: 'access', ts: 2.9, cpu: 1, pid: 1, comm: 'init', op: 'w', seg: 0, bus: 0, devfn: 0x20, off: 4, size: 2, val: 0x0107, ret: null, layer: 'bus', fn: 'pci_bus_write_config_word', stack: 1, known: true, line: 11491 };

function event(id: DeviceRecord, role: Role, a: Partial<AccessRecord>, old: number | null, callSite = '__pci_set_master'): AccessEvent {
  const access = { ...write, ...a } as AccessRecord;
  const [seg, bus, devfn] = [access.seg!, access.bus!, access.devfn!];
  const loc = compileLayout(id).name(access.off!, access.size);
  return {
    kind: 'access', index: 7, access, device: { key: seg * 65536 + bus * 256 + devfn, seg, bus, devfn, bdf: id.bdf }, id, role, loc,
    bdf: id.bdf, register: loc.name, mnemonic: loc.mnemonic ?? null, old, oldFrom: old === null ? ByteSource.Unknown : ByteSource.Read, oldStale: false,
    callSite, stack: [callSite], phase: { seq: 0, label: 'boot', ts: null },
  };
}

const brief = (f: Finding): string => `${f.verdict} ${f.rule.id} ${f.device.bdf} ${f.device.role} ${f.register} ${f.old === null ? '?' : f.old.toString(16)}->${f.new!.toString(16)} ${f.change} ${f.fields.join(',')}`;

describe('judge(event, compiled policy)', async () => {
  const busmaster = compilePolicy((await loadPolicies(['luo-busmaster'])).policy);
  const luoDefault = compilePolicy((await loadPolicies(['luo-default'])).policy);

  it('a bus master set on a depended bridge is a violation naming the field', () => {
    const found = judge(event(rootPort, 'depended', {}, 0x0103), busmaster) as Finding[];
    expect(found.map(brief)).toEqual(['violation bus-master 0000:00:04.0 depended COMMAND 103->107 changed MASTER 0->1']);
    expect(found[0]).toMatchObject({ index: 7, line: 11491, callSite: '__pci_set_master', phase: 'boot', accessed: 'COMMAND' });
  });

  it('the same write to a device in no protected role, or one that keeps the bit, says nothing', () => {
    expect(judge(event(rootPort, 'other', {}, 0x0103), busmaster)).toEqual([]);
    expect(judge(event(rootPort, 'depended', { val: 0x0507 }, 0x0107), busmaster)).toEqual([]);
    // ...but the second is a protected write (counted as one that kept every protected bit).
    expect(protectedWrite(event(rootPort, 'depended', { val: 0x0507 }, 0x0107), busmaster)).toBe(true);
    expect(protectedWrite(event(rootPort, 'other', {}, 0x0103), busmaster)).toBe(false);
  });

  it('an unknown old value is said as such, never guessed', () => {
    expect((judge(event(rootPort, 'depended', {}, null), busmaster) as Finding[]).map(brief))
      .toEqual(['violation bus-master 0000:00:04.0 depended COMMAND ?->107 unknown-old MASTER']);
  });

  it('reads are never judged', () => {
    expect(judge(event(rootPort, 'depended', { op: 'r', val: 0x0107 }, 0x0103), busmaster)).toEqual([]);
  });

  it('a write the probe saw without its device is an unattributed write, with its context', () => {
    const e = event(rootPort, 'other', {}, null);
    const early: AccessEvent = { ...e, access: { ...e.access, known: false, seg: null, bus: null, devfn: null, off: null, val: null }, device: null, id: null, loc: null, bdf: null, register: null, mnemonic: null };
    expect(judge(early, busmaster)).toEqual([{ kind: 'unattributed', fn: 'pci_bus_write_config_word', callSite: '__pci_set_master', stack: ['__pci_set_master'], ts: 2.9, phase: 'boot', boot: { kernel: 1 }, index: 7, line: 11491 }]);
  });

  it('capability rules meet writes inside that capability by its id, wherever the device has it', () => {
    // PCI Express Device Control of the nvme (CAP_EXP at 0x80): Initiate FLR on a preserved device.
    const flr = judge(event(nvme, 'preserved', { bus: 2, devfn: 0, off: 0x88, size: 2, val: 0x8000 }, 0x0000, 'pcie_flr'), luoDefault) as Finding[];
    expect(flr.map((f) => `${f.verdict} ${f.rule.id} ${f.register} ${f.accessed}`)).toEqual(['violation flr CAP_EXP+0x8 CAP_EXP+0x8']);
    // The same offset on the root port is its power management capability's neighbour, not CAP_EXP.
    const rp = event(rootPort, 'depended', { off: 0x88, size: 2, val: 0x8000 }, 0x0000, 'pcie_flr');
    expect(rp.loc).toMatchObject({ space: 'cap', capId: 0x10, rel: 0x34 });
    expect(judge(rp, luoDefault).filter((f) => f.kind === 'finding' && f.rule.id === 'flr')).toEqual([]);
  });

  it('an expect rule for the call site turns a change into an expected write', () => {
    // luo-default expects MSI-X to be set up again by the new driver: ENABLE set on a preserved nvme.
    const e = event(nvme, 'preserved', { bus: 2, devfn: 0, off: 0x42, size: 2, val: 0x8000 }, 0x0000, '__pci_enable_msix_range+0x1a');
    expect((judge(e, luoDefault) as Finding[]).map((f) => `${f.verdict} ${f.rule.id} ${f.fields.join(',')}`)).toEqual(['expected msix-driver-setup ENABLE 0->1']);
    // From another call site the same write is no business of that expect rule.
    expect(judge({ ...e, callSite: 'some_driver_probe' }, luoDefault)).toEqual([]);
  });

  it('a header register whose name begins like a capability\'s meets the header rules', async () => {
    // The rule index used to take a capability name out of the register name with /^E?CAP/, so a
    // write to CAPABILITIES (0x34) met no header rule (test/fixtures/policies/capability-pointer.json).
    const p = compilePolicy((await loadPolicies([`${new URL('../fixtures/policies/capability-pointer.json', import.meta.url).pathname}`])).policy);
    const e = event(nvme, 'preserved', { bus: 2, devfn: 0, off: 0x34, size: 1, val: 0x40 }, 0x40, 'some_driver_probe');
    expect(e.loc).toMatchObject({ name: 'CAPABILITIES', space: 'header', capId: -1 });
    expect((judge(e, p) as Finding[]).map((f) => `${f.verdict} ${f.rule.id} ${f.register}`)).toEqual(['violation cap-pointer CAPABILITIES']);
  });
});
