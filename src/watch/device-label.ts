// A device as `replay` and lspci name it (`0000:02:00.0 [1b36:0010] Non-Volatile memory controller:
// Red Hat, Inc. QEMU NVM Express Controller`) when the stream told its identity, else its BDF.

import { describeDevice, type DeviceNamer } from '../sinks/device-line.js';
import type { DeviceCounts } from './watch-state.js';

export const deviceLabel = (d: DeviceCounts, names: DeviceNamer): string => (d.identity ? describeDevice(d.identity, names) : d.bdf);
