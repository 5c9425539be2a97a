// Per device: reads, writes, violations and expected writes, then the same counts per phase
// (`r/w/v`), so one can see in which phase of a boot a device was touched.

import { el, ids } from '../format.js';

export function renderDevices(table, store, filters) {
  const phases = [...store.phases.values()].sort((a, b) => a.seq - b.seq);
  const head = el('tr', null, null, ['device', 'ids', 'role', 'reads', 'writes', 'violations', 'expected'].map((h) => el('th', null, h)));
  for (const p of phases) {
    const th = el('th', 'phase', p.label);
    th.title = `${p.label}: reads/writes/violations`;
    head.append(th);
  }
  table.tHead.replaceChildren(head);
  const rows = [];
  for (const d of [...store.devices.values()].sort((a, b) => a.bdf.localeCompare(b.bdf))) {
    if (filters.device && d.bdf !== filters.device) continue;
    const tr = el('tr');
    tr.dataset.bdf = d.bdf;
    tr.dataset.violations = String(d.violations);
    tr.append(
      el('td', 'bdf', d.bdf), el('td', 'mono', ids(d.vendor, d.device)), el('td', null, d.role ?? ''),
      el('td', 'num', d.reads), el('td', 'num', d.writes), el('td', `num${d.violations ? ' hasv' : ''}`, d.violations), el('td', 'num', d.expected),
    );
    for (const p of phases) {
      const c = d.byPhase.get(p.seq);
      const td = el('td', `num${c?.v ? ' hasv' : ''}`, c ? `${c.r}/${c.w}/${c.v}` : '');
      td.dataset.phase = String(p.seq);
      tr.append(td);
    }
    rows.push(tr);
  }
  table.tBodies[0].replaceChildren(...rows);
}
