// The page's websocket: subscribes from the first event it does not have, re-requests what a
// `gap` says it missed, and reconnects with backoff when the server goes away (a restarted server
// replaying the same capture has the same stream id, so the page resumes instead of starting over).
// Close codes are those of docs/protocol.md; the table and the seq cursor are the server's
// (close-codes.js and seq-cursor.js are served from src/server/close-codes.ts and seq-cursor.ts).

import { FATAL_CLOSES as FATAL } from './close-codes.js';
import { SeqCursor } from './seq-cursor.js';

const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 5000;
/** Codes after which reconnecting cannot help: a wrong token, or a message the server rejected. */
const FATAL_CLOSES = new Map(FATAL.map(([code, , what]) => [code, what]));

export class LiveConnection {
  /** onStatus({ state, detail }) with state connecting|open|reconnecting|failed. */
  constructor({ url, store, onStatus, onWarning }) {
    this.url = url;
    this.store = store;
    this.onStatus = onStatus;
    this.onWarning = onWarning;
    this.cursor = new SeqCursor();
    this.streamId = null;
    this.ws = null;
    this.backoff = BACKOFF_FIRST_MS;
    this.attempt = 0;
    this.watchdog = null;
    this.heartbeatMs = 5000;
    this.live = false;
  }

  start() {
    this.attempt++;
    this.onStatus({ state: this.attempt === 1 ? 'connecting' : 'reconnecting', detail: `attempt ${this.attempt}` });
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onmessage = (ev) => { if (ws === this.ws) this.onMessage(ev.data); };
    ws.onclose = (ev) => { if (ws === this.ws) this.onClose(ev.code, ev.reason); };
  }

  send(msg) { this.ws?.send(JSON.stringify(msg)); }

  subscribe() {
    this.live = false;
    this.send({ type: 'subscribe', from: this.cursor.resumeFrom() });
  }

  onMessage(data) {
    this.armWatchdog();
    let m;
    try { m = JSON.parse(data); } catch { this.onWarning({ kind: 'protocol', text: 'the server sent a frame that is not JSON; ignored' }); return; }
    switch (m.type) {
      case 'hello': this.onHello(m); break;
      case 'subscribed': this.cursor.subscribed(); this.cursor.cursor(m.seq); break;
      case 'caught-up':
        this.cursor.cursor(m.seq);
        this.live = true;
        this.onStatus({ state: 'open', detail: this.store.end ? 'stream ended' : 'live' });
        break;
      case 'heartbeat': case 'pong': this.cursor.cursor(m.seq); break;
      case 'gap': this.onGap(m); break;
      // The fleet's state as of m.seq (docs/protocol.md, "The fleet view"), then events after it.
      case 'fleet-snapshot': this.store.fleet.snapshot(m); this.cursor.cursor(m.seq); break;
      default:
        if (typeof m.seq === 'number' && this.cursor.accept(m.seq)) this.store.apply(m);
        if (m.type === 'end' || m.type === 'error') this.onStatus({ state: 'open', detail: 'stream ended' });
    }
    this.store.notify();
  }

  onHello(m) {
    if (this.streamId !== null && m.stream.id !== this.streamId) {
      this.onWarning({ kind: 'stream', text: `the server now serves another stream (${m.stream.id}, was ${this.streamId}): view restarted` });
      this.cursor = new SeqCursor();
      this.store.reset();
    }
    this.streamId = m.stream.id;
    this.store.stream = m.stream;
    this.heartbeatMs = m.heartbeatMs ?? this.heartbeatMs;
    this.backoff = BACKOFF_FIRST_MS;
    this.onStatus({ state: 'open', detail: `replaying from seq ${this.cursor.resumeFrom()}` });
    this.subscribe();
  }

  onGap(m) {
    const what = m.count === null ? 'an unknown number of' : String(m.count);
    if (m.reason === 'expired') {
      // The server no longer has them: asking again would get the same answer.
      this.onWarning({ kind: 'gap', text: `missed ${what} events (seq ${m.from}-${m.to}): the server no longer has them` });
      this.cursor.cursor(m.seq);
      return;
    }
    this.onWarning({ kind: 'gap', text: `missed ${what} events (seq ${m.from}-${m.to}, ${m.reason}): re-requested` });
    this.cursor.gap(m.from);
    this.cursor.cursor(m.seq);
    this.subscribe();
  }

  onClose(code, reason) {
    clearTimeout(this.watchdog);
    this.ws = null;
    const fatal = FATAL_CLOSES.get(code);
    if (fatal) {
      this.onStatus({ state: 'failed', detail: `closed ${code}: ${fatal}${reason ? ` (${reason})` : ''}` });
      return;
    }
    const wait = this.backoff;
    this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
    this.onStatus({ state: 'reconnecting', detail: `closed ${code}; retrying in ${(wait / 1000).toFixed(1)} s from seq ${this.cursor.resumeFrom()}` });
    setTimeout(() => this.start(), wait);
  }

  /** No message for three heartbeat intervals: the connection is dead even if no close came. */
  armWatchdog() {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      const ws = this.ws;
      this.ws = null;
      ws?.close();
      this.onClose(1006, 'no heartbeat');
    }, this.heartbeatMs * 3);
  }
}
