// Connection state, what is being watched (capture, kernel, policy) and the warnings a reader must
// not miss: lost events (the tracer dropped some: the view is incomplete), gaps, skipped input.

import { el } from '../format.js';

export function renderConnection(pill, status) {
  pill.className = `conn conn-${status.state}`;
  pill.dataset.state = status.state;
  pill.textContent = status.detail ? `${status.state}: ${status.detail}` : status.state;
}

export function renderMeta(section, store, cursor) {
  const s = store.stream;
  if (!s) { section.replaceChildren(); return; }
  if (s.kind === 'fleet') {
    const f = s.fleet ?? {};
    const parts = [`fleet view of ${f.server ?? '?'}`, f.since ? `findings since ${f.since}` : 'all findings in the stream', f.kernelRelease ? `kernel ${f.kernelRelease} only` : null, `seq ${cursor.floor}`];
    section.replaceChildren(...parts.filter(Boolean).map((t) => el('span', null, t)));
    return;
  }
  const parts = [
    `${s.kind} ${s.file ?? ''}`.trim(),
    s.header?.kernel?.release ? `kernel ${s.header.kernel.release}` : null,
    s.policy ? `policy ${s.policy.sources.join(' + ')}; preserved ${s.policy.preserved.map((p) => p.bdf ?? JSON.stringify(p)).join(', ') || 'none'}` : 'no policy',
    `seq ${cursor.floor}`,
    store.end ? `ended (${store.end.counts.accesses} accesses, trailer ${store.end.trailer})` : null,
  ].filter(Boolean);
  section.replaceChildren(...parts.map((t) => el('span', null, t)));
}

export function renderWarnings(section, store, connectionWarnings) {
  const items = [];
  if (store.lostTotal > 0) {
    const reasons = [...new Set(store.lost.map((l) => l.reason))].join(', ');
    items.push(el('div', 'lost', `${store.lostTotal} events lost by the tracer (${reasons}) in ${store.lost.length} report${store.lost.length === 1 ? '' : 's'}: what follows is incomplete`));
  }
  for (const w of connectionWarnings) items.push(el('div', w.kind, w.text));
  if (store.skipped > 0) items.push(el('div', 'skipped', `${store.skipped} input lines skipped (see cfgscope replay for their codes)`));
  if (store.error) items.push(el('div', 'lost', `the stream failed: ${store.error.code}: ${store.error.message}`));
  if (store.end && store.end.trailer !== 'complete') items.push(el('div', 'lost', `the capture's trailer is ${store.end.trailer}: it was cut short`));
  section.replaceChildren(...items);
}
