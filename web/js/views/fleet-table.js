// The fleet table (serve --from nats://): per kernel release, device identity, register (setpci
// name) and call site (function+offset), the violations across machines and runs, which machines,
// first and last seen; above it, the feed's state in words. A feed that is not live says so, with
// since when: the counts are then as of that moment, never passed off as current.

import { el } from '../format.js';
import { rowKey } from '../fleet-store.js';

const MAX_NAMES = 6;

/** `8086:10d3` and, when the capture said it, the subsystem as lspci names it. */
function identityCell(identity) {
  const [v, d, sv, sd] = identity.split(':');
  const td = el('td', 'mono', sv === undefined ? identity : `${v}:${d}`);
  if (sv !== undefined) td.append(el('span', 'fields', `subsystem ${sv}:${sd}`));
  td.dataset.identity = identity;
  return td;
}

const time = (iso) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

function machinesCell(r) {
  const shown = r.machines.slice(0, MAX_NAMES).join(' ');
  const td = el('td', 'mono', r.machines.length, [el('span', 'fields', r.machines.length > MAX_NAMES ? `${shown} +${r.machines.length - MAX_NAMES} more` : shown)]);
  td.title = r.machines.join(' ');
  return td;
}

function rowElement(r) {
  const tr = el('tr', 'violation');
  Object.assign(tr.dataset, { key: rowKey(r), kernel: r.kernel, identity: r.identity, register: r.register, callSite: r.callSite, violations: String(r.violations), machines: String(r.machines.length), runs: String(r.runs) });
  tr.append(
    el('td', 'mono', r.kernel), identityCell(r.identity), el('td', 'reg', r.register), el('td', 'site', r.callSite),
    el('td', 'num', r.violations, [el('span', 'fields', r.rules.join(', '))]), machinesCell(r), el('td', 'num', r.runs),
    el('td', 'mono', time(r.firstSeen)), el('td', 'mono', time(r.lastSeen)),
  );
  return tr;
}

/** The feed's state and, when it is not live, why and since when. */
export function feedText(fleet, connection) {
  if (connection.state !== 'open') return { state: 'stalled', text: `stalled: no connection to cfgscope serve (${connection.detail}); the counts are as of the last update` };
  const f = fleet.feed;
  if (!f) return { state: 'connecting', text: 'waiting for the server\'s view' };
  const t = fleet.totals;
  const read = t ? `; ${t.findings} findings read, ${t.violations} violations` : '';
  switch (f.state) {
    case 'live': return { state: 'live', text: `live${read}` };
    case 'waiting-for-stream': return { state: 'waiting-for-stream', text: `waiting for the stream: ${f.reason ?? ''}` };
    case 'connecting': return { state: 'connecting', text: `connecting: ${f.reason ?? ''}` };
    default: return { state: f.state, text: `${f.state} since ${time(f.since)}: ${f.reason ?? ''}; the counts are as of then${read}` };
  }
}

export class FleetTable {
  constructor(section) {
    this.section = section;
    this.tbody = section.querySelector('tbody');
    this.feed = section.querySelector('#fleet-feed');
    this.count = section.querySelector('#fleet-count');
    /** key -> { tr, row } */
    this.shown = new Map();
    this.version = -1;
  }

  render(fleet, connection) {
    const f = feedText(fleet, connection);
    this.feed.dataset.state = f.state;
    this.feed.className = `feed feed-${f.state}`;
    this.feed.textContent = `fleet feed ${f.text}`;
    if (fleet.version === this.version) return;
    this.version = fleet.version;
    const rows = fleet.sorted();
    const trs = rows.map((r) => {
      const key = rowKey(r);
      const had = this.shown.get(key);
      if (had && had.row === r) return had.tr;
      const tr = rowElement(r);
      if (had) tr.classList.add('updated');
      this.shown.set(key, { tr, row: r });
      return tr;
    });
    this.tbody.replaceChildren(...trs);
    const t = fleet.totals;
    const machines = new Set(rows.flatMap((r) => r.machines));
    this.count.textContent = t ? `${t.violations} violations on ${machines.size} machines; ${rows.length} rows` : '';
  }
}
