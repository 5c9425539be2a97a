// One line per violation (or expected / unexplained write), the same in the live view and in plain
// output: seq, verdict, severity, device, register, old -> new, fields, call site, rule, phase.

import { hexValue } from '../model/hex.js';
import type { ShownFinding } from './watch-state.js';

/** A wider write can change the rule's register through a neighbour (a dword write to IO_BASE also
 *  sets IO_LIMIT): the values are the rule register's, and the written register is named. */
const via = (register: string, accessed: string | null): string => (accessed !== null && accessed !== register ? ` (written as ${accessed})` : '');

export function findingLine(m: ShownFinding): string {
  switch (m.type) {
    case 'finding': {
      const old = `${hexValue(m.old, m.width)}${m.old !== null && m.oldStale ? '?' : ''}`;
      const fields = m.fields && m.fields.length > 0 ? ` (${m.fields.join(', ')})` : '';
      return `#${m.seq} ${m.verdict} [${m.rule.severity}] ${m.device.bdf} ${m.register}${via(m.register, m.accessed)} ${old} -> ${hexValue(m.new, m.width)}${fields} by ${m.callSite ?? '?'}, rule ${m.rule.id}, phase ${m.phase}`;
    }
    case 'target':
      return `#${m.seq} ${m.verdict} [${m.rule.severity}] ${m.device.bdf} ${m.register} is ${hexValue(m.actual, 4)}, want ${hexValue(m.want, 4)} at ${m.at}, rule ${m.rule.id}`;
    case 'unattributed':
      return `#${m.seq} unexplained write by ${m.callSite ?? m.fn ?? '?'} to a device the probe could not see, phase ${m.phase}`;
  }
}
