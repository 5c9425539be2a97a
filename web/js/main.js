// Wires the page: one store fed by one connection, views redrawn at most once per frame.
// A `?token=` on the page's URL is passed on to the websocket (docs/protocol.md).

import { LiveConnection } from './connection.js';
import { el } from './format.js';
import { LiveStore } from './store.js';
import { renderDevices } from './views/devices-view.js';
import { FindingsTable } from './views/findings-table.js';
import { FleetTable } from './views/fleet-table.js';
import { renderConnection, renderMeta, renderWarnings } from './views/status-view.js';
import { renderTimeline } from './views/timeline.js';

const $ = (id) => document.getElementById(id);

function readFilters(form) {
  const data = new FormData(form);
  return { verdicts: new Set(data.getAll('verdict')), severity: String(data.get('severity')), device: String(data.get('device') ?? '') };
}

function wsUrl() {
  const token = new URLSearchParams(location.search).get('token');
  const url = new URL('ws', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  url.search = token ? `?token=${encodeURIComponent(token)}` : '';
  return url.href;
}

function syncDeviceOptions(select, store) {
  const have = new Set([...select.options].map((o) => o.value));
  for (const bdf of [...store.devices.keys()].sort()) {
    if (!have.has(bdf) && bdf.includes(':')) select.append(el('option', null, bdf));
  }
}

function start() {
  const store = new LiveStore();
  const form = $('filters');
  const table = new FindingsTable($('findings'), $('findings-count'));
  const warnings = [];
  let status = { state: 'connecting', detail: '' };
  let pending = false;
  let lastTimeline = 0;
  let timelineTimer = null;
  const connection = new LiveConnection({
    url: wsUrl(),
    store,
    onStatus: (s) => { status = s; schedule(); },
    onWarning: (w) => { warnings.push(w); schedule(); },
  });

  const fleet = new FleetTable($('fleet'));
  const render = () => {
    pending = false;
    const filters = readFilters(form);
    renderConnection($('connection'), status);
    renderMeta($('capture-meta'), store, connection.cursor);
    renderWarnings($('warnings'), store, warnings);
    // A fleet server (serve --from nats://) serves the fleet table only.
    const isFleet = store.stream?.kind === 'fleet';
    document.body.classList.toggle('fleet-mode', isFleet);
    $('fleet').hidden = !isFleet;
    if (isFleet) { fleet.render(store.fleet, status); return; }
    syncDeviceOptions(form.elements.namedItem('device'), store);
    table.render(store, filters);
    renderDevices($('devices'), store, filters);
    // The timeline redraws every bin of every device: at most twice a second while events pour in,
    // on its own timer so the tables stay current meanwhile.
    const since = performance.now() - lastTimeline;
    if (since > 500 || store.end) drawTimeline();
    else timelineTimer ??= setTimeout(drawTimeline, 500 - since);
  };
  const drawTimeline = () => {
    clearTimeout(timelineTimer);
    timelineTimer = null;
    lastTimeline = performance.now();
    renderTimeline($('timeline'), store, readFilters(form));
  };
  function schedule() {
    if (pending) return;
    pending = true;
    // requestAnimationFrame does not run in background tabs; a timer keeps the page current there.
    if (document.hidden) setTimeout(render, 200); else requestAnimationFrame(render);
  }

  store.onChange(() => schedule());
  form.addEventListener('change', () => { lastTimeline = 0; schedule(); });
  window.cfgscope = { store, connection };
  connection.start();
}

start();
