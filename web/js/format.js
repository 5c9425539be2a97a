// Formatting in the kernel's vocabulary: hex values at the register's width, old -> new with `?`
// for an old value cfgscope cannot know (never guessed), call sites as function+offset.

/** `0x0107` for a 2-byte register; `?` when unknown. */
export function hex(value, width) {
  if (value === null || value === undefined) return '?';
  const digits = Math.max(1, (width ?? 1) * 2);
  return `0x${value.toString(16).padStart(digits, '0')}`;
}

/** `0x0107 -> 0x0103`; a stale old value (known before an unattributed write) gets a `?` suffix. */
export function oldNew(old, neu, width, oldStale) {
  const o = old === null || old === undefined ? '?' : `${hex(old, width)}${oldStale ? '?' : ''}`;
  return `${o} -> ${hex(neu, width)}`;
}

/** `[8086:10d3]` from numeric ids, empty when unknown. */
export function ids(vendor, device) {
  if (vendor === null || vendor === undefined) return '';
  const h4 = (v) => (v === null || v === undefined ? '????' : v.toString(16).padStart(4, '0'));
  return `[${h4(vendor)}:${h4(device)}]`;
}

/** Trace timestamps in seconds, as the kernel prints them. */
export function seconds(ts) {
  return ts === null || ts === undefined ? '' : ts.toFixed(6);
}

/** Creates an element with a class and text; children appended when given. */
export function el(tag, className, text, children) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined && text !== null) e.textContent = String(text);
  for (const c of children ?? []) e.append(c);
  return e;
}
