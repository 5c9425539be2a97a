// One timeline lane per boot of a kexec capture (kernel 1, the handover, kernel 2...), each on
// its own clock: a kexec'd kernel's timestamps start again, and the handover (the old kernel's
// shutdown, seen by the device only) has no time at all, only its place in the stream. Names and
// order are src/model/boots.ts's (./boots.js is served from it). An access without a time inside
// a kernel's lane (a device-side write `import --attribute` placed) is drawn at the time of the
// access before it in that lane.

import { AccessHistogram } from './access-histogram.js';
import { bootName, bootOrder } from './boots.js';

/** At most this many untimed accesses wait for a kernel lane's first time; more are counted only. */
const MAX_WAITING = 10000;

export const bootKey = (b) => (b ? `${b.handover ? 'handover' : 'kernel'} ${b.kernel}` : 'kernel 1');

const KERNEL_1 = { kernel: 1 };

export class BootLanes {
  constructor() {
    /** key -> { key, boot, name, clock: 'ts' | 'index', hist, lastTs, waiting: [], unplaced } */
    this.lanes = new Map();
  }

  lane(boot) {
    const key = bootKey(boot);
    let l = this.lanes.get(key);
    if (!l) {
      l = { key, boot: boot ?? KERNEL_1, name: bootName(boot ?? KERNEL_1), clock: boot?.handover ? 'index' : 'ts', hist: new AccessHistogram(), lastTs: null, waiting: [], unplaced: 0 };
      this.lanes.set(key, l);
    }
    return l;
  }

  /** An access of `boot`; `untimedClock`: the source has no time at all (QEMU's log): index everywhere. */
  add(boot, bdf, ts, index, op, phaseSeq, untimedClock) {
    const l = this.lane(boot);
    if (untimedClock) l.clock = 'index';
    if (l.clock === 'index') return l.hist.add(bdf, index, op, phaseSeq);
    if (ts === null || ts === undefined) {
      if (l.lastTs !== null) return l.hist.add(bdf, l.lastTs, op, phaseSeq);
      if (l.waiting.length < MAX_WAITING) l.waiting.push([bdf, op, phaseSeq]); else l.unplaced++;
      return;
    }
    l.lastTs = ts;
    l.hist.add(bdf, ts, op, phaseSeq);
    if (l.waiting.length > 0) {
      for (const [b, o, s] of l.waiting) l.hist.add(b, ts, o, s);
      l.waiting = [];
    }
  }

  /** A violating write, on its boot's lane and clock. */
  markViolation(boot, key, bdf, ts, index) {
    const l = this.lane(boot);
    const x = l.clock === 'index' ? index ?? 0 : ts ?? l.lastTs ?? index ?? 0;
    l.hist.markViolation(key, bdf, x);
  }

  /** Lanes in boot order. */
  list() {
    return [...this.lanes.values()].sort((a, b) => bootOrder(a.boot) - bootOrder(b.boot));
  }
}
