// Bit-field tables and their resolution from register names, including accesses that start inside
// a register or span two (the kernel's pci_restore_config_space writes COMMAND+STATUS as one dword).

import { describe, expect, it } from 'vitest';
import { describeFields, diffFields, fieldView, rw1cMask } from '../../src/registers/fields.js';
import { compileLayout } from '../../src/registers/layout.js';

const texts = (xs: { text: string }[]): string[] => xs.map((x) => x.text);

describe('fields of the registers Live Update cares about', () => {
  it('power state', () => {
    expect(texts(diffFields('CAP_PM+0x4', 0x0000, 0x0003))).toEqual(['PS D0->D3hot']);
    expect(texts(describeFields('CAP_PM+0x4', 0x8103))).toEqual(['PS=D3hot', 'PME_ENABLE', 'DATA_SEL=0', 'DATA_SCALE=0', 'PME_STATUS']);
    expect(rw1cMask('CAP_PM+4')).toBe(0x8000);
  });

  it('ATS enable and STU, as one target state', () => {
    expect(texts(diffFields('ECAP_ATS+0x6', 0x0000, 0x8005))).toEqual(['STU 0->5', 'ENABLE 0->1']);
  });

  it('SR-IOV VF enable, VF memory space, ARI hierarchy', () => {
    expect(texts(diffFields('ECAP_SRIOV+0x8', 0x19, 0x10))).toEqual(['VFE 1->0', 'MSE 1->0']);
    expect(texts(describeFields('ECAP_SRIOV+0x8', 0x19))).toEqual(['VFE', 'MSE', 'ARI']);
  });

  it('ACS control and ARI forwarding', () => {
    expect(texts(diffFields('ECAP_ACS+0x6', 0x1d, 0x00))).toEqual(['SV 1->0', 'RR 1->0', 'CR 1->0', 'UF 1->0']);
    expect(texts(diffFields('CAP_EXP+0x28', 0x0020, 0x0000))).toEqual(['ARI 1->0']);
  });

  it('secondary bus reset and the harmless SEC_STATUS clear', () => {
    expect(texts(diffFields('BRIDGE_CONTROL', 0x0002, 0x0042))).toEqual(['BUS_RESET 0->1']);
    expect(rw1cMask('SEC_STATUS')).toBe(0xf900);
    expect(diffFields('SEC_STATUS', 0, 0xffff).filter((c) => !c.rw1c).map((c) => c.name)).toEqual(['66MHZ', 'FAST_BACK', 'DEVSEL', 'OTHER']);
  });

  it('RW1C masks of the status registers', () => {
    expect(rw1cMask('STATUS')).toBe(0xf900);
    expect(rw1cMask('CAP_EXP+0xa')).toBe(0x000f);
    expect(rw1cMask('CAP_EXP+0x12')).toBe(0xc000);
    expect(rw1cMask('CAP_EXP+0x1a')).toBe(0x011f);
    expect(rw1cMask('ECAP_AER+0x4')).toBe(0x03fff030);
    expect(rw1cMask('ECAP_AER+0x8')).toBe(0); // the mask register has the same bits, none RW1C
    expect(rw1cMask('ECAP_AER+0x10')).toBe(0xf1c1);
    expect(rw1cMask('CAP_EXP+0x8')).toBe(0);
    expect(rw1cMask('0x44')).toBe(0);
  });

  it('enum and number fields, and bits no field names', () => {
    expect(texts(describeFields('CAP_EXP+0x12', 0x2011))).toEqual(['CLS=2.5GT/s', 'NLW=1', 'DLLLA']);
    expect(texts(diffFields('CAP_EXP+0x8', 0x2810, 0x2830))).toEqual(['PAYLOAD 128B->256B']);
    expect(texts(diffFields('CAP_MSI+0x2', 0x0000, 0x8001))).toEqual(['ENABLE 0->1', 'OTHER 0x0->0x8000']);
  });
});

describe('resolving names', () => {
  it('accepts setpci spellings: short offsets, width suffixes, @n, case', () => {
    for (const n of ['CAP_EXP+8', 'cap_exp+0x8', 'CAP_EXP+0x8.w', 'CAP_EXP+0x8@1', 'CAP_EXP+0x8.W@2']) {
      expect(texts(diffFields(n, 0, 1)), n).toEqual(['CERE 0->1']);
    }
  });

  it('takes the name object layout.ts returns, with its size', () => {
    const rp = compileLayout({ headerType: 1, caps: [{ id: 0x10, off: 0x54 }] });
    expect(texts(diffFields(rp.name(0x5c, 2), 0, 0x8000))).toEqual(['BCR_FLR 0->1']);
    expect(texts(describeFields(rp.name(0x3e, 2), 0x40))).toEqual(['BUS_RESET']);
  });

  it('an access inside a register sees its bits moved down', () => {
    expect(texts(describeFields('COMMAND+0x1', 0x04))).toEqual(['INTX_DISABLE']);
    expect(texts(diffFields('CAP_EXP+0x9', 0x50, 0x10))).toEqual(['READRQ 4096B->256B']);
  });

  it('an access spanning two registers prefixes each field with its register', () => {
    expect(texts(describeFields('COMMAND', 0x00100507, 4))).toEqual([
      'COMMAND.IO', 'COMMAND.MEMORY', 'COMMAND.MASTER', 'COMMAND.SERR', 'COMMAND.INTX_DISABLE',
      'STATUS.CAP_LIST', 'STATUS.DEVSEL=FAST',
    ]);
    expect(rw1cMask('COMMAND', 4)).toBe(0xf9000000);
    expect(fieldView('CAP_EXP+0x8', 4)!.rw1c).toBe(0x000f0000);
  });

  it('has nothing to say about registers without a field table', () => {
    expect(fieldView('VENDOR_ID')).toBeUndefined();
    expect(fieldView('0x44')).toBeUndefined();
    expect(fieldView('CAP0x15+0x4')).toBeUndefined();
    expect(describeFields('BASE_ADDRESS_0', 0xfe000000)).toEqual([]);
    expect(diffFields('NOT_A_REGISTER', 1, 2)).toEqual([]);
  });
});
