// The report model with every string made printable (src/model/escape-text.ts) before a text
// format renders it. Nearly every string in it came from outside: function names and frames from
// the capture, phase labels, driver names, source lines from debug info, a policy's ids, `why` and
// selectors. Mapping the whole model, rather than each place a renderer prints one, means a field
// added later is covered too. Numbers, booleans and null are kept as they are.

import { printable } from '../model/escape-text.js';
import type { ReportModel } from './report-model.js';

function mapStrings(v: unknown, esc: (s: string) => string): unknown {
  if (typeof v === 'string') return esc(v);
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, esc));
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = mapStrings(x, esc);
    return out;
  }
  return v;
}

export const printableModel = (m: ReportModel): ReportModel => mapStrings(m, printable) as ReportModel;
