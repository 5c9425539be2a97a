// Rules indexed the way writes arrive (Falco indexes rules by event type): header rules, rules per
// capability (by space and id), and `*` rules; target rules by the phase they are checked at.
// A write is looked up by its register location's numbers: no name is read or parsed.

import type { RegisterLocation } from '../model/events.js';
import { capByName } from '../registers/cap-table.js';
import type { Rule } from './policy-types.js';

const HEADER_END = 0x40;
/** Extended capability ids are keyed above the 8-bit standard ones. */
const EXT = 0x10000;

export class RuleIndex {
  private readonly any: readonly Rule[];
  /** Header writes below HEADER_END meet header rules; `*` rules meet every write. */
  private readonly header: readonly Rule[];
  /** Per capability key (id, or EXT + id), the list handed out: `*` rules, then that capability's. */
  private readonly byCap = new Map<number, readonly Rule[]>();
  /** Target rules, in policy order. */
  readonly targetRules: Rule[] = [];

  constructor(rules: readonly Rule[]) {
    const any: Rule[] = [];
    const header: Rule[] = [];
    const caps = new Map<number, Rule[]>();
    for (const r of rules) {
      if (r.kind === 'target') this.targetRules.push(r);
      else if (r.register.space === 'any') any.push(r);
      else if (r.register.space === 'header') header.push(r);
      else {
        // The policy loader accepted the name, so the table knows it (named or numeric form).
        const cap = capByName(r.register.base);
        if (cap === undefined) continue;
        const key = (cap.space === 'ecap' ? EXT : 0) + cap.def.id;
        caps.set(key, [...(caps.get(key) ?? []), r]);
      }
    }
    this.any = any;
    this.header = [...any, ...header];
    for (const [key, list] of caps) this.byCap.set(key, [...any, ...list]);
  }

  /** Rules that can touch a write at `loc`. A write inside a capability meets only that
   *  capability's rules; a header write (below 0x40) meets header rules; `*` rules meet all.
   *  A CardBus header's registers past 0x40 meet `*` rules only. */
  candidates(loc: RegisterLocation): readonly Rule[] {
    if (loc.capId >= 0) return this.byCap.get((loc.space === 'ecap' ? EXT : 0) + loc.capId) ?? this.any;
    return loc.off < HEADER_END ? this.header : this.any;
  }

  targets(at: 'end' | string): Rule[] {
    return this.targetRules.filter((r) => (r.target!.at === 'end' ? at === 'end' : at !== 'end' && r.target!.at.phase === at));
  }
}
