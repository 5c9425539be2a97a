// The `access` message's JSON (docs/protocol.md), built field by field instead of by
// JSON.stringify of a fresh object: accesses are nearly all of a stream, and most of each one's
// text is its call stack, which is shared by many accesses (the stack table interns it) and so is
// serialised once here, like the phase it belongs to. The text is exactly JSON.stringify's
// (test/server/wire-message.test.ts compares them over every capture in replays/). One per server:
// the caches hold only what its stream's events refer to. The strings of an access (device,
// register, call site, function, command, layer) come from small sets and repeat from one access
// to the next: each is escaped once and its JSON looked up after that (JSON.stringify of the
// strings was the largest part of a served access's CPU after the socket writes).

import type { AccessEvent, PhaseRef } from '../model/events.js';

/** A JSON number as JSON.stringify writes it. */
const num = (x: number): string => (Number.isFinite(x) ? `${x}` : 'null');

/** Strings kept escaped at most: a stream whose strings do not repeat (every comm different)
 *  starts over rather than growing. */
const MAX_STRINGS = 4096;

export class AccessJson {
  private readonly stacks = new WeakMap<readonly string[], string>();
  private readonly phases = new WeakMap<PhaseRef, string>();
  private readonly strings = new Map<string, string>();

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

  /** A string or null as JSON. */
  private str(x: string | null): string {
    if (x === null) return 'null';
    let j = this.strings.get(x);
    if (j === undefined) {
      if (this.strings.size >= MAX_STRINGS) this.strings.clear();
      j = JSON.stringify(x);
      this.strings.set(x, j);
    }
    return j;
  }

  /** `,"key":value` for a field that may be undefined (JSON.stringify leaves such keys out). */
  private opt(key: string, x: string | number | boolean | null | undefined): string {
    if (x === undefined) return '';
    const v = typeof x === 'number' ? num(x) : typeof x === 'string' ? this.str(x) : x === null ? 'null' : x ? 'true' : 'false';
    return `,"${key}":${v}`;
  }

  text(seq: number, e: AccessEvent): string {
    const a = e.access;
    const n = (x: number | null): string => (x === null ? 'null' : num(x));
    return `{"type":"access","seq":${num(seq)},"index":${num(e.index)},"ts":${n(a.ts)},"phase":${this.phase(e.phase)}`
      + `,"bdf":${this.str(e.bdf)},"op":${this.str(a.op)},"off":${n(a.off)},"size":${num(a.size)}`
      + `,"register":${this.str(e.register)},"mnemonic":${this.str(e.mnemonic)},"old":${n(e.old)},"new":${n(a.val)}`
      + `,"oldStale":${e.oldStale ? 'true' : 'false'},"callSite":${this.str(e.callSite)},"stack":${this.stack(e.stack)}`
      + `,"fn":${this.str(a.fn)},"layer":${this.str(a.layer)},"known":${a.known ? 'true' : 'false'},"cpu":${n(a.cpu)}`
      + `,"pid":${n(a.pid)},"comm":${this.str(a.comm)},"line":${n(a.line ?? null)}`
      + `${a.attributed ? this.opt('attributed', a.attributed) : ''}}`;
  }
}
