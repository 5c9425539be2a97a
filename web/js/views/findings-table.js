// The findings table: one row per judged write (violation, expected) or unexplained write, in seq
// order. Rows are created once and shown or hidden by the filters, so a long stream does not
// rebuild the table on every event.

import { el, hex, ids, oldNew, seconds } from '../format.js';
import { SEVERITIES } from '../store.js';

export class FindingsTable {
  constructor(table, counter) {
    this.tbody = table.tBodies[0];
    this.counter = counter;
    this.rows = new Map();
    this.source = null;
  }

  render(store, filters) {
    if (this.source !== store.findings) {
      this.source = store.findings;
      this.rows.clear();
      this.tbody.replaceChildren();
    }
    let prev = null;
    for (const f of store.findings) {
      let tr = this.rows.get(f.seq);
      if (!tr) {
        tr = findingRowElement(f, store);
        this.rows.set(f.seq, tr);
        if (prev) prev.after(tr); else this.tbody.prepend(tr);
      }
      prev = tr;
    }
    let shown = 0;
    let violations = 0;
    for (const f of store.findings) {
      const visible = passes(f, filters);
      this.rows.get(f.seq).hidden = !visible;
      if (visible) shown++;
      if (f.verdict === 'violation') violations++;
    }
    this.counter.textContent = `${shown} shown of ${store.findings.length}; ${violations} violation${violations === 1 ? '' : 's'}`;
  }
}

export function passes(f, filters) {
  if (!filters.verdicts.has(f.verdict)) return false;
  if (f.severity !== null && SEVERITIES.indexOf(f.severity) < SEVERITIES.indexOf(filters.severity)) return false;
  // A write whose device is unknown may have hit the filtered device: it stays visible.
  if (filters.device && f.bdf !== null && f.bdf !== filters.device) return false;
  return true;
}

function findingRowElement(f, store) {
  const tr = el('tr', f.verdict);
  Object.assign(tr.dataset, { seq: String(f.seq), verdict: f.verdict, bdf: f.bdf ?? '', rule: f.rule?.id ?? '', index: f.index === null ? '' : String(f.index) });
  const dev = f.bdf === null ? null : store.devices.get(f.bdf);
  tr.append(
    el('td', 'num', f.seq),
    el('td', 'phase', f.phase, f.ts === null ? [] : [el('span', 'fields', seconds(f.ts))]),
    el('td', 'bdf', f.bdf ?? '?', [el('span', 'fields', `${dev ? ids(dev.vendor, dev.device) : ''} ${dev?.role ?? ''}`.trim())]),
    el('td', 'reg', f.register ?? '?', f.fields.length ? [fieldList(f.fields)] : []),
    el('td', 'vals', f.kind === 'target' ? `is ${hex(f.old, 4)}, want ${hex(f.new, 4)}` : oldNew(f.old, f.new, f.width, f.oldStale)),
    callSiteCell(f),
    el('td', 'rule mono', f.rule ? `${f.rule.id} ` : 'unexplained ', f.severity ? [el('span', `sev sev-${f.severity}`, f.severity)] : []),
    el('td', 'why', f.why),
  );
  tr.cells[4].dataset.vals = tr.cells[4].textContent;
  return tr;
}

/** The call site, with the whole stack (innermost first, as the kernel prints it) on demand. */
function callSiteCell(f) {
  const td = el('td', 'site');
  if (!f.stack || f.stack.length === 0) { td.textContent = f.callSite ?? '?'; return td; }
  const details = el('details', null, null, [el('summary', null, f.callSite ?? '?')]);
  const ol = el('ol');
  for (const frame of f.stack) ol.append(el('li', null, frame));
  details.append(ol);
  td.append(details);
  return td;
}

/** `IO 1->0, MEMORY 1->0`: a line may break between fields, never inside one (`1-` / `>0`). */
function fieldList(fields) {
  const span = el('span', 'fields');
  fields.forEach((f, i) => span.append(el('span', 'field', f), i + 1 < fields.length ? ', ' : ''));
  return span;
}
