// Output when stdout is not a terminal: one line per finding as it arrives, `#`-prefixed lines for
// the connection, lost events and gaps, each rule's reason once, and a per-device summary at the
// end. No colour and no cursor movement, so it pastes cleanly into a mail or a bug.

import { printableLine } from '../model/escape-text.js';
import type { DeviceNamer } from '../sinks/device-line.js';
import { deviceLabel } from './device-label.js';
import { findingLine } from './finding-line.js';
import type { HelloMessage, ServerMessage } from './watch-messages.js';
import type { WatchState } from './watch-state.js';

export class PlainOutput {
  private readonly whyShown = new Set<string>();
  /** Every write is one line; what is in it came from the server, so it is made printable (a
   *  newline in a rule's `why` must not print a line that looks like a finding). */
  private readonly write: (t: string) => void;

  constructor(write: (t: string) => void, private readonly violationsOnly: boolean, private readonly names: DeviceNamer) {
    this.write = (t) => write(printableLine(t));
  }

  hello(m: HelloMessage, url: string, resumeFrom: number, newStream: boolean): void {
    if (newStream) this.write(`# the server now serves another stream: starting over\n`);
    const p = m.stream.policy;
    this.write(`# connected to ${url}: ${m.stream.kind} ${m.stream.file ?? ''} (stream ${m.stream.id}), from seq ${resumeFrom}\n`);
    if (resumeFrom === 1) this.write(`# policy: ${p && p.sources.length > 0 ? `${p.sources.join(' + ')}; preserved ${p.preserved.map((x) => String(x['bdf'] ?? JSON.stringify(x))).join(', ') || 'none'}` : 'none'}\n`);
  }

  notice(text: string): void { this.write(`# ${text}\n`); }

  event(m: ServerMessage, state: WatchState): void {
    switch (m.type) {
      case 'finding': case 'target':
        if (m.type === 'target' && m.verdict !== 'violation') return;
        if (this.violationsOnly && m.verdict !== 'violation') return;
        this.write(`${findingLine(m)}\n`);
        if (!this.whyShown.has(m.rule.id)) {
          this.whyShown.add(m.rule.id);
          this.write(`    why ${m.rule.id} (${m.rule.source}): ${m.rule.why}\n`);
        }
        return;
      case 'unattributed':
        if (!this.violationsOnly) this.write(`${findingLine(m)}\n`);
        return;
      case 'phase': this.write(`# phase ${m.phase.label}\n`); return;
      case 'lost': this.write(`# LOST: ${state.lostReports[state.lostReports.length - 1] ?? ''}: the tracer dropped them, the view is incomplete\n`); return;
      case 'end': case 'error': this.summary(state); return;
      default: return;
    }
  }

  summary(state: WatchState): void {
    this.write(`# ${state.ended ?? `at seq ${state.lastSeq}`}; ${state.violations.length} violation(s)${state.lost ? `; ${state.lost} events LOST` : ''}\n`);
    for (const d of [...state.devices.values()].sort((a, b) => a.bdf.localeCompare(b.bdf))) {
      if (d.writes === 0 && d.violations === 0 && d.expected === 0) continue;
      this.write(`# ${String(d.reads).padStart(7)} reads ${String(d.writes).padStart(6)} writes ${String(d.violations).padStart(5)} violations ${String(d.expected).padStart(5)} expected  ${deviceLabel(d, this.names)}\n`);
    }
  }
}
