// Rules indexed the way writes arrive (Falco indexes rules by event type): header rules, rules per
// capability name, and `*` rules; target rules by the phase they are checked at.

import type { AccessEvent } from '../pipeline/events.js';
import type { Rule } from './policy-types.js';

const HEADER_END = 0x40;

export class RuleIndex {
  private readonly header: Rule[] = [];
  private readonly byCap = new Map<string, Rule[]>();
  private readonly any: Rule[] = [];
  private readonly targetRules: Rule[] = [];
  /** Per capability name, the list handed out (header + any + that capability's), built once. */
  private readonly lists = new Map<string, readonly Rule[]>();
  /** The list handed out per register name, for writes below HEADER_END and at or above it (a
   *  name without a capability part is a header or an unnamed write there; the name alone does not
   *  say which: a CardBus bridge has header registers past 0x40). */
  private readonly low = new Map<string, readonly Rule[]>();
  private readonly high = new Map<string, readonly Rule[]>();

  constructor(rules: readonly Rule[]) {
    for (const r of rules) {
      if (r.kind === 'target') this.targetRules.push(r);
      else if (r.register.space === 'any') this.any.push(r);
      else if (r.register.space === 'header') this.header.push(r);
      else this.byCap.set(r.register.base, [...(this.byCap.get(r.register.base) ?? []), r]);
    }
  }

  /** Rules that can touch this write. A write named by a capability (`CAP_EXP+0x8`) meets only that
   *  capability's rules; a header or unnamed write meets header rules. `*` rules meet all. */
  candidates(e: AccessEvent): readonly Rule[] {
    const name = e.register ?? '';
    const byName = e.access.off! < HEADER_END ? this.low : this.high;
    let list = byName.get(name);
    if (list === undefined) {
      list = this.listFor(name, e.access.off!);
      byName.set(name, list);
    }
    return list;
  }

  private listFor(name: string, off: number): readonly Rule[] {
    const cap = /^(E?CAP[^+@]*)/.exec(name)?.[1] ?? null;
    const key = cap ?? (off < HEADER_END ? '<header>' : '<other>');
    let list = this.lists.get(key);
    if (!list) {
      list = [...this.any, ...(key === '<header>' ? this.header : []), ...(cap ? this.byCap.get(cap) ?? [] : [])];
      this.lists.set(key, list);
    }
    return list;
  }

  targets(at: 'end' | string): Rule[] {
    return this.targetRules.filter((r) => (r.target!.at === 'end' ? at === 'end' : at !== 'end' && r.target!.at.phase === at));
  }
}
