// The live view when stdout is a terminal: redrawn at most ten times a second, it shows where the
// stream is, lost-event and gap warnings, counts per device and the latest violations, in red.
// Lines are cut to the terminal's width so a redraw never scrolls.

import { printable } from '../model/escape-text.js';
import type { DeviceNamer } from '../sinks/device-line.js';
import { deviceLabel } from './device-label.js';
import { findingLine } from './finding-line.js';
import type { WatchState } from './watch-state.js';

const RED = '\x1b[31m';
const YELLOW = '\x1b[33m';
const BOLD = '\x1b[1m';
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';
const HOME_CLEAR = '\x1b[H\x1b[2J';
const REDRAW_MS = 100;

export interface Screen { columns: number; rows: number }

const cut = (line: string, width: number): string => (line.length > width ? `${line.slice(0, width - 1)}…` : line);

/** The whole screen for the state, as text with colour escapes. */
export function renderScreen(state: WatchState, url: string, notices: readonly string[], screen: Screen, names: DeviceNamer): string {
  const w = Math.max(40, screen.columns);
  const out: string[] = [];
  // Every line holds text from the server (stream and file names, phase labels, call sites, a
  // close reason): printable, so only this view's own escapes reach the terminal.
  const line = (text: string, style = ''): void => { const t = cut(printable(text), w); out.push(style ? `${style}${t}${RESET}` : t); };
  const s = state.hello?.stream;
  line(`cfgscope watch ${url}  ${state.ended !== null ? 'stream ended' : state.connection}  seq ${state.lastSeq}  phase ${state.phase}`, BOLD);
  if (s) {
    const p = s.policy;
    line(`${s.kind} ${s.file ?? ''} · kernel ${s.header?.kernel?.release ?? '?'} · policy ${p ? `${p.sources.join(' + ')}; preserved ${p.preserved.map((x) => String(x['bdf'] ?? '?')).join(', ') || 'none'}` : 'none'}`, DIM);
  }
  if (state.lost > 0) line(`LOST ${state.lost} events: ${state.lostReports.slice(-2).join('; ')}: the view is incomplete`, `${BOLD}${RED}`);
  for (const n of notices.slice(-2)) line(n, YELLOW);
  if (state.ended) line(state.ended, DIM);
  out.push('');
  line(`${'reads'.padStart(7)} ${'writes'.padStart(7)} ${'violations'.padStart(10)} ${'expected'.padStart(8)}  device`, BOLD);
  const devices = [...state.devices.values()]
    .filter((d) => d.writes > 0 || d.violations > 0 || d.expected > 0)
    .sort((a, b) => b.violations - a.violations || a.bdf.localeCompare(b.bdf));
  const deviceRoom = Math.max(3, Math.floor((screen.rows - out.length) / 2) - 2);
  for (const d of devices.slice(0, deviceRoom)) {
    line(`${String(d.reads).padStart(7)} ${String(d.writes).padStart(7)} ${String(d.violations).padStart(10)} ${String(d.expected).padStart(8)}  ${deviceLabel(d, names)}`, d.violations ? RED : '');
  }
  if (devices.length > deviceRoom) line(`… ${devices.length - deviceRoom} more devices with writes`, DIM);
  out.push('');
  line(`violations: ${state.violations.length} (newest last)`, BOLD);
  const room = Math.max(1, screen.rows - out.length - 1);
  for (const v of state.violations.slice(-room)) line(findingLine(v), RED);
  return `${HOME_CLEAR}${out.join('\n')}\n`;
}

export class TtyView {
  private timer: NodeJS.Timeout | undefined;
  private readonly notices: string[] = [];

  constructor(private readonly out: NodeJS.WriteStream, private readonly state: WatchState, private readonly url: string, private readonly names: DeviceNamer) {
    out.write('\x1b[?25l'); // no blinking cursor over a view that redraws
    out.on('resize', this.onResize);
  }

  private readonly onResize = (): void => this.dirty();

  notice(text: string): void { this.notices.push(text); this.dirty(); }

  dirty(): void {
    this.timer ??= setTimeout(() => { this.timer = undefined; this.draw(); }, REDRAW_MS);
  }

  draw(): void {
    this.out.write(renderScreen(this.state, this.url, this.notices, { columns: this.out.columns ?? 100, rows: this.out.rows ?? 30 }, this.names));
  }

  close(): void {
    clearTimeout(this.timer);
    this.out.off('resize', this.onResize);
    this.draw();
    this.out.write('\x1b[?25h');
  }
}
