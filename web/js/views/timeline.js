// Timeline of accesses: one row per device, trace time left to right, phase bands behind. The
// store's bins (../access-histogram.js) are folded per couple of pixels: a bar's height is the
// bin's count on a log scale, reads grey below writes blue; a violating write is a red tick.
// A kexec capture gets one lane per boot (../boot-lanes.js), each titled and on its own clock:
// kernel 2's timestamps start again, the handover has only its accesses' places in the stream.

const SVG = 'http://www.w3.org/2000/svg';
const LABEL_W = 120;
const ROW_H = 15;
const TOP = 30;
const CHAR_PX = 6.6;
const BIN_PX = 3;

function node(tag, attrs, text) {
  const n = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
  if (text !== undefined) n.textContent = text;
  return n;
}

export function renderTimeline(container, store, filters) {
  const lanes = store.lanes.list();
  if (lanes.length <= 1) {
    const svg = renderLane(container, store, filters, lanes[0]?.hist ?? store.timeline, lanes[0]?.clock === 'index' || store.header?.clock === 'none');
    container.replaceChildren(svg ?? empty());
    return;
  }
  const parts = [];
  for (const lane of lanes) {
    const section = document.createElement('section');
    section.className = 'lane';
    section.dataset.boot = lane.key;
    const title = document.createElement('h3');
    title.className = 'lane-title';
    title.textContent = lane.clock === 'index' && lane.boot.handover ? `${lane.name} (no time: drawn by place in the stream)` : lane.name;
    section.append(title, renderLane(container, store, filters, lane.hist, lane.clock === 'index') ?? empty());
    parts.push(section);
  }
  container.replaceChildren(...parts);
}

const empty = () => Object.assign(document.createElement('div'), { className: 'empty', textContent: 'no accesses yet' });

/** One lane's SVG, or null when it has nothing to draw. */
function renderLane(container, store, filters, t, byIndex) {
  const devices = [...t.rows.entries()].filter(([bdf, r]) => (filters.device ? bdf === filters.device : r.count > 0 || hasViolation(t, bdf))).map(([bdf]) => bdf).sort();
  const width = Math.max(600, container.clientWidth - 2);
  const height = TOP + devices.length * ROW_H + 16;
  const svg = node('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'accesses per device over time' });
  svg.dataset.devices = String(devices.length);
  svg.dataset.points = String(t.countOf(filters.device));
  if (t.countOf(filters.device) === 0) return null;
  const min = t.min;
  const max = t.max;
  const span = max - min || 1;
  const plotW = width - LABEL_W - 8;
  const xOf = (x) => LABEL_W + ((x - min) / span) * plotW;

  // Phase bands start at the first access of each phase.
  const bands = [...t.phaseStart.entries()].sort((a, b) => a[1] - b[1]);
  bands.forEach(([seq, x0], i) => {
    const x1 = i + 1 < bands.length ? bands[i + 1][1] : max;
    const band = node('rect', { x: xOf(x0), y: TOP, width: Math.max(1, xOf(x1) - xOf(x0)), height: devices.length * ROW_H, class: i % 2 ? 'band-odd' : 'band-even', fill: i % 2 ? '#f4f4f2' : '#fff' });
    band.dataset.phase = String(seq);
    svg.append(band);
    const label = store.phases.get(seq)?.label ?? `phase ${seq}`;
    band.append(node('title', {}, label));
    // Two label lines, alternating, each label cut to its band's width: short phases stay legible.
    const room = Math.floor((xOf(x1) - xOf(x0) + (i % 2 ? 0 : 40)) / CHAR_PX);
    if (room >= 4) {
      const text = node('text', { x: xOf(x0) + 2, y: i % 2 ? TOP - 4 : TOP - 17, class: 'phase-label' }, label.length > room ? `${label.slice(0, room - 1)}…` : label);
      text.append(node('title', {}, label));
      svg.append(text);
    }
  });

  // The store's bins (a fixed number, whatever the stream's length) folded into pixel bins.
  const bins = Math.ceil(plotW / BIN_PX) + 1;
  const pixelBin = (x) => Math.min(bins - 1, Math.floor((xOf(x) - LABEL_W) / BIN_PX));
  const h = (n) => (n === 0 ? 0 : Math.min(ROW_H - 4, 3 + 3 * Math.log2(n)));
  devices.forEach((bdf, row) => {
    const y = TOP + row * ROW_H;
    const src = t.rows.get(bdf);
    const reads = new Uint32Array(bins);
    const writes = new Uint32Array(bins);
    for (let b = 0; b < src.reads.length; b++) {
      if (src.reads[b] === 0 && src.writes[b] === 0) continue;
      const p = pixelBin(t.binX(b));
      reads[p] += src.reads[b];
      writes[p] += src.writes[b];
    }
    svg.append(node('text', { x: 4, y: y + ROW_H - 4 }, bdf));
    const g = node('g', { 'data-bdf': bdf });
    for (let b = 0; b < bins; b++) {
      const x = LABEL_W + b * BIN_PX;
      if (reads[b]) g.append(node('rect', { x, y: y + ROW_H - 2 - h(reads[b]), width: BIN_PX - 1, height: h(reads[b]), class: 'read', fill: '#9aa5b1' }));
      if (writes[b]) g.append(node('rect', { x, y: y + 2, width: BIN_PX - 1, height: h(writes[b]) / 2 + 2, class: 'write', fill: '#1f5fa8' }));
    }
    let marks = 0;
    for (const v of t.violations.values()) {
      if (v.bdf !== bdf) continue;
      marks++;
      g.append(node('rect', { x: xOf(v.x) - 1, y: y + 1, width: 2, height: ROW_H - 2, class: 'violation', fill: '#c62828' }));
    }
    g.dataset.violations = String(marks);
    svg.append(g);
  });
  const unit = byIndex ? 'access index' : 's';
  svg.append(node('text', { x: LABEL_W, y: height - 3, class: 'phase-label' }, `${min.toFixed(3)} ${unit}`));
  svg.append(node('text', { x: width - 8, y: height - 3, 'text-anchor': 'end', class: 'phase-label' }, `${max.toFixed(3)} ${unit}`));
  return svg;
}

function hasViolation(t, bdf) {
  for (const v of t.violations.values()) if (v.bdf === bdf) return true;
  return false;
}
