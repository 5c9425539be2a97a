// The `access` message's JSON (docs/protocol.md), built field by field instead of by
// JSON.stringify of a fresh object: accesses are nearly all of a stream, and most of each one's
// text is its call stack, which is shared by many accesses (the stack table interns it) and so is
// serialised once here, like the phase it belongs to. The text is exactly JSON.stringify's
// (test/server/wire-message.test.ts compares them over every capture in replays/). One per server:
// the caches hold only what its stream's events refer to.

import type { AccessEvent, PhaseRef } from '../model/events.js';

/** A JSON primitive as JSON.stringify writes it. */
function prim(x: string | number | boolean | null): string {
  if (typeof x === 'number') return Number.isFinite(x) ? `${x}` : 'null';
  if (typeof x === 'string') return JSON.stringify(x);
  return x === null ? 'null' : x ? 'true' : 'false';
}

/** `,"key":value`, or nothing for an undefined value (JSON.stringify leaves such keys out). */
function field(key: string, x: string | number | boolean | null | undefined): string {
  return x === undefined ? '' : `,"${key}":${prim(x)}`;
}

export class AccessJson {
  private readonly stacks = new WeakMap<readonly string[], string>();
  private readonly phases = new WeakMap<PhaseRef, string>();

  private stack(s: readonly string[] | null): string {
    if (s === null) return 'null';
    let j = this.stacks.get(s);
    if (j === undefined) { j = JSON.stringify(s); this.stacks.set(s, j); }
    return j;
  }

  private phase(p: PhaseRef): string {
    let j = this.phases.get(p);
    if (j === undefined) { j = JSON.stringify(p); this.phases.set(p, j); }
    return j;
  }

  text(seq: number, e: AccessEvent): string {
    const a = e.access;
    return `{"type":"access"${field('seq', seq)}${field('index', e.index)}${field('ts', a.ts)},"phase":${this.phase(e.phase)}`
      + `${field('bdf', e.bdf)}${field('op', a.op)}${field('off', a.off)}${field('size', a.size)}`
      + `${field('register', e.register)}${field('mnemonic', e.mnemonic)}${field('old', e.old)}${field('new', a.val)}`
      + `${field('oldStale', e.oldStale)}${field('callSite', e.callSite)},"stack":${this.stack(e.stack)}`
      + `${field('fn', a.fn)}${field('layer', a.layer)}${field('known', a.known)}${field('cpu', a.cpu)}`
      + `${field('pid', a.pid)}${field('comm', a.comm)}${field('line', a.line ?? null)}`
      + `${a.attributed ? field('attributed', a.attributed) : ''}}`;
  }
}
