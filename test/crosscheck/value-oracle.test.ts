// The value oracle (issue 14, "Done when") over every lab run with a device side: for each read
// the device side saw, the kernel-side shadow's value of those bytes just before it, where known,
// equals what the device returned. The shadow is built from the kernel side only (records, the
// handover's device-layer records, the config snapshot at the capture's start: src/crosscheck/
// value-oracle.ts), never from the device-side reads it is checked against. Every disagreement
// has one of the reasons below; the counts per capture are pinned.
//
// Before register semantics and honest widths (e57f93c), agree / unknown / disagree were:
//   qemu-6.1-q35-basic 1761 / 142 / 81, lab-kexec 3552 / 155 / 166, lab-resets 1800 / 294 / 73,
//   lab-sriov 1635 / 174 / 71, lab-e1000e-on 1577 / 98 / 66, lab-e1000e-off 1541 / 83 / 62.
import { describe, expect, it } from 'vitest';
import { valueOracle, type OracleRead } from '../../src/crosscheck/value-oracle.js';
import { readRecords } from '../support/read-records.js';

const root = new URL('../../', import.meta.url).pathname;

/** [capture, kernel side, device side, agree, unknown, disagree] */
const RUNS: [string, string, string, number, number, number][] = [
  ['qemu-6.1-q35-basic', 'replays/qemu-6.1-q35-basic/kernel.capture.ndjson', 'replays/qemu-6.1-q35-basic/device.capture.ndjson', 1857, 114, 13],
  ...([['kexec', 3663, 190, 20], ['resets', 1893, 263, 11], ['sriov', 1696, 174, 10], ['e1000e-on', 1634, 97, 10], ['e1000e-off', 1587, 92, 7]] as const)
    .map(([s, a, u, d]): [string, string, string, number, number, number] => [`lab-${s}`, `replays/lab-${s}/kernel.capture.ndjson`, `test/fixtures/lab-${s}/qemu-trace.log`, a, u, d]),
];

/**
 * Where QEMU 7.2's device models differ from the PCIe Base spec: bits the spec makes read-write
 * that the model holds at 0 (a write of 1 reads back 0 in every lab run). The shadow follows the
 * spec, so these are the disagreements it cannot avoid without modelling QEMU.
 */
const EMULATOR: { model: string; register: RegExp; bits: number; why: string }[] = [
  { model: 'e1000e', register: /^CAP_EXP\+0x8$/, bits: 0x000f, why: 'QEMU\'s e1000e keeps DEVCTL CERE/NFERE/FERE/URRE at 0 (pci_enable_pcie_error_reporting writes them)' },
  { model: 'pcie-root-port', register: /^CAP_EXP\+0x1c$/, bits: 0x0008, why: 'QEMU\'s root port makes only SECEE/SENFEE/SEFEE of RTCTL writable, not PMEIE (pcie_pme_interrupt_enable writes it)' },
];

function reasonOf(x: OracleRead): string | undefined {
  if (x.untracedWrite) return 'a device-side write the kernel side has no record of (after its trace was read out)';
  const differ = (x.shadow! ^ x.device.val!) >>> 0;
  return EMULATOR.find((e) => e.model === x.device.model && e.register.test(x.register) && (differ & ~e.bits) === 0)?.why;
}

describe.each(RUNS)('value oracle %s', async (_name, kernelFile, deviceFile, agree, unknown, disagree) => {
  const r = valueOracle(await readRecords(root + kernelFile), await readRecords(root + deviceFile));

  it('counts agree / unknown / disagree (firmware reads precede the capture)', () => {
    expect({ agree: r.agree, unknown: r.unknown, disagree: r.disagree, firmware: r.firmware }).toEqual({ agree, unknown, disagree, firmware: 382 });
    expect(r.agree + r.unknown + r.disagree).toBe(r.reads.length);
  });

  it('has a reason for every disagreement', () => {
    const unexplained = r.reads.filter((x) => x.verdict === 'disagree' && reasonOf(x) === undefined)
      .map((x) => `${x.bdf} ${x.register}/${x.size} line ${x.device.line}: shadow 0x${x.shadow!.toString(16)}, device 0x${x.device.val!.toString(16)}`);
    expect(unexplained).toEqual([]);
  });

  it('agrees on the registers the issue names: MSI-X Message Control, the window type nibbles, Retrain Link, PME status', () => {
    const named = r.reads.filter((x) => /^(CAP_MSIX\+0x2|PREF_MEMORY_BASE|PREF_MEMORY_LIMIT|CAP_EXP\+0x10|CAP_EXP\+0x20)(@\d+)?$/.test(x.register));
    expect(named.length).toBeGreaterThan(20);
    expect(named.filter((x) => x.verdict === 'disagree').map((x) => `${x.bdf} ${x.register} line ${x.device.line}`)).toEqual([]);
  });
});
