// `check --vmlinux`: each finding's call site gets its source line before the sinks see it. The
// lookups are cached per frame, so a trace's thousands of writes cost one addr2line answer per
// distinct call site; concatMap keeps the events in order.

import { concatMap, type OperatorFunction } from 'rxjs';
import { sourceText } from '../symbols/source-text.js';
import type { Symbolizer } from '../symbols/symbolizer.js';
import { callSiteIndex } from './call-site.js';
import type { CheckEvent } from './check-policy.js';

export function symbolizeFindings(sym: Symbolizer): OperatorFunction<CheckEvent, CheckEvent> {
  return concatMap(async (e) => {
    if (e.kind !== 'finding' || e.callSite === null || !e.stack) return e;
    const i = callSiteIndex(e.stack);
    const r = await sym.resolve(e.callSite, i === 0 ? 'entry' : 'return');
    return typeof r === 'string' ? e : { ...e, source: sourceText(r) };
  });
}
