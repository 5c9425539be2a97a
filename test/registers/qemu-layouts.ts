// Capability layouts of three devices of a real boot, derived by hand from QEMU's own config
// access log: test/fixtures/qemu-6.1-q35-basic/qemu-trace.log (QEMU 7.2, q35, Debian 6.1
// kernel; see that directory's README.md). Each number below is a value QEMU returned to a read;
// the line numbers are that file's. Standard list: the pointer at 0x34, then per capability the
// word at its offset (id in the low byte, next pointer in the high byte). Extended list: the dword
// at 0x100 (id 15:0, version 19:16, next 31:20), then at each next pointer.

import type { DeviceLayout } from '../../src/registers/layout.js';

/** 0000:00:03.0 pcie-root-port (1b36:000c). */
export const ROOT_PORT_03: DeviceLayout = {
  headerType: 0x01, //           l.32   @0xe  -> 0x1 (bridge)
  caps: [
    { id: 0x10, off: 0x54 }, //  l.69   @0x34 -> 0x54; l.70/71 @0x54 -> 0x10, @0x55 -> 0x48 (CAP_EXP)
    { id: 0x11, off: 0x48 }, //  l.72/73 @0x48 -> 0x11, @0x49 -> 0x40 (CAP_MSIX)
    { id: 0x0d, off: 0x40 }, //  l.74/75 @0x40 -> 0xd, @0x41 -> 0x0 (CAP_SSVID, end)
  ],
  ecaps: [
    { id: 0x0001, off: 0x100, ver: 2 }, // l.864 @0x100 -> 0x14820001 (AER v2, next 0x148)
    { id: 0x000d, off: 0x148, ver: 1 }, // l.865 @0x148 -> 0x1000d (ACS v1, next 0)
  ],
};

/** 0000:02:00.0 nvme (1b36:0010), behind root port 00:04.0 (l.82 SECONDARY_BUS <- 0x2). */
export const NVME_02: DeviceLayout = {
  headerType: 0x00, //           l.87   @0xe  -> 0x0
  caps: [
    { id: 0x11, off: 0x40 }, //  l.1736 @0x34 -> 0x40; l.1737 @0x40 -> 0x8011 (CAP_MSIX, next 0x80)
    { id: 0x10, off: 0x80 }, //  l.1738 @0x80 -> 0x6010 (CAP_EXP, next 0x60)
    { id: 0x01, off: 0x60 }, //  l.1813 @0x60 -> 0x1 (CAP_PM, next 0)
  ],
  ecaps: [], //                  l.1742 @0x100 -> 0x0 (no extended capabilities)
};

/** 0000:01:00.0 e1000e (8086:10d3), behind root port 00:03.0 (l.57 SECONDARY_BUS <- 0x1). */
export const E1000E_01: DeviceLayout = {
  headerType: 0x00, //           l.1502 @0xe  -> 0x0
  caps: [
    { id: 0x01, off: 0xc8 }, //  l.1504 @0x34 -> 0xc8; l.1505 @0xc8 -> 0xd001 (CAP_PM, next 0xd0)
    { id: 0x05, off: 0xd0 }, //  l.1506 @0xd0 -> 0xe005 (CAP_MSI, next 0xe0)
    { id: 0x10, off: 0xe0 }, //  l.1507 @0xe0 -> 0xa010 (CAP_EXP, next 0xa0)
    { id: 0x11, off: 0xa0 }, //  l.1587 @0xa0 -> 0x11 (CAP_MSIX, next 0)
  ],
  ecaps: [
    { id: 0x0001, off: 0x100, ver: 2 }, // l.1511 @0x100 -> 0x14020001 (AER v2, next 0x140)
    { id: 0x0003, off: 0x140, ver: 1 }, // l.1515 @0x140 -> 0x10003 (DSN v1, next 0)
  ],
};
