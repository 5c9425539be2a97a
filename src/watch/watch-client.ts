// The terminal client's websocket: subscribes from the first event it does not have, re-requests
// what a `gap` says it missed, reconnects with backoff when the server goes away (a restarted
// server replaying the same capture keeps its stream id, so the client resumes instead of starting
// over), and gives up only when reconnecting cannot help: a refused token or a URL that is not a
// cfgscope server. Close codes: docs/protocol.md.

import WebSocket from 'ws';
import { CfgscopeError, UsageError } from '../model/errors.js';
import { CLOSE_BAD_FIELD, FATAL_CLOSES as FATAL } from '../server/close-codes.js';
import { SeqCursor } from '../server/seq-cursor.js';
import type { GapMessage, HelloMessage, ServerMessage } from './watch-messages.js';
import { checkServerMessage } from './watch-validate.js';

const BACKOFF_FIRST_MS = 250;
/** Reconnecting goes on for ever (a server may be down for a reboot), at most this far apart. */
export const BACKOFF_MAX_MS = 5000;
/** A connection is healthy, and the backoff starts again from BACKOFF_FIRST_MS, once it has
 *  delivered a new event or stayed open this long: a server that closes right after its hello
 *  must not be reconnected to four times a second. */
export const HEALTHY_MS = 10_000;
const DEFAULT_HEARTBEAT_MS = 5000;
/** The server's heartbeatMs is taken within these bounds (its watchdog is three intervals). */
export const HEARTBEAT_MIN_MS = 100;
export const HEARTBEAT_MAX_MS = 600_000;
/** setTimeout's largest delay: a larger one fires at once (Node's TimeoutOverflowWarning). */
export const TIMER_MAX_MS = 2 ** 31 - 1;
export const timerDelay = (ms: number): number => (Number.isFinite(ms) ? Math.min(Math.max(ms, 0), TIMER_MAX_MS) : TIMER_MAX_MS);

/**
 * Closes after which reconnecting would be refused the same way (the server's table): the error
 * code, and what the close means with what this command's user can do about it.
 */
const FATAL_CLOSES: ReadonlyMap<number, [code: string, what: string]> = new Map(FATAL.map(([close, refused, what]) => [close, [
  refused === 'token' ? 'WATCH_TOKEN_REJECTED' : 'WATCH_REJECTED',
  refused === 'token' ? `${what} (give it with --token or $CFGSCOPE_TOKEN)`
    : close === CLOSE_BAD_FIELD ? `${what} (--device must be a BDF like 0000:02:00.0)` : what,
]]));

export interface WatchClientOptions {
  url: string;
  token: string | null;
  violationsOnly: boolean;
  bdf: string | null;
}

export interface WatchHandlers {
  /** First message of each connection; `newStream` when the server now serves another stream. */
  hello(m: HelloMessage, resumeFrom: number, newStream: boolean): void;
  /** Each event once, however often resumes and gap re-requests deliver it. */
  event(m: ServerMessage): void;
  /** Connection state and gaps, for the reader. */
  notice(kind: 'connected' | 'reconnecting' | 'gap' | 'live', text: string): void;
  /** A frame that is not a documented message (watch-validate.ts): skipped; `problem` says why. */
  invalid(problem: string): void;
}

export class WatchClient {
  private cursor = new SeqCursor();
  private streamId: string | null = null;
  private ws: WebSocket | null = null;
  private backoff = BACKOFF_FIRST_MS;
  private heartbeatMs = DEFAULT_HEARTBEAT_MS;
  private watchdog: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private healthy: NodeJS.Timeout | undefined;
  private stopped = false;
  private settle: { resolve: () => void; reject: (e: Error) => void } | null = null;

  constructor(private readonly opts: WatchClientOptions, private readonly on: WatchHandlers) {}

  /** Runs until stop() (resolves) or a fatal refusal (rejects with a CfgscopeError). */
  run(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
      this.connect();
    });
  }

  stop(): void { this.finish(null); }

  private fail(e: CfgscopeError): void { this.finish(e); }

  private finish(error: CfgscopeError | null): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.watchdog);
    clearTimeout(this.retry);
    clearTimeout(this.healthy);
    const ws = this.ws;
    this.ws = null;
    if (ws?.readyState === WebSocket.OPEN) ws.close(1000); else ws?.terminate();
    if (error) this.settle?.reject(error); else this.settle?.resolve();
  }

  private connect(): void {
    const headers: Record<string, string> = this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {};
    const ws = new WebSocket(this.opts.url, { headers, handshakeTimeout: 10_000 });
    this.ws = ws;
    ws.on('unexpected-response', (_req, res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      if (ws !== this.ws) return;
      if (status === 401 || status === 403) this.fail(new CfgscopeError('WATCH_TOKEN_REJECTED', `${this.opts.url}: HTTP ${status}: the server refused the token`));
      else this.fail(new CfgscopeError('WATCH_BAD_URL', `${this.opts.url}: HTTP ${status} instead of a websocket: not a cfgscope serve endpoint (it is at /ws)`));
    });
    ws.on('message', (data) => { if (ws === this.ws) this.onFrame(data.toString()); });
    ws.on('close', (code, reason) => { if (ws === this.ws) this.onClose(code, reason.toString()); });
    // Refused, reset, unreachable: the server may be restarting (or the guest still booting), and
    // ws always follows an error with 'close', which retries. A host name that does not resolve
    // will not start resolving: that one is the URL's fault.
    ws.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOTFOUND' && ws === this.ws) this.fail(new CfgscopeError('WATCH_BAD_URL', `${this.opts.url}: no such host (${err.message})`));
    });
  }

  private send(msg: object): void { this.ws?.send(JSON.stringify(msg)); }

  private subscribe(): void {
    this.send({
      type: 'subscribe', from: this.cursor.resumeFrom(),
      ...(this.opts.violationsOnly ? { violationsOnly: true } : {}),
      ...(this.opts.bdf ? { bdf: this.opts.bdf } : {}),
    });
  }

  private onFrame(text: string): void {
    this.armWatchdog();
    const checked = checkServerMessage(text);
    if (checked.problem !== undefined) {
      // Not the documented format: nothing to resume from, nothing to show; said, not dropped.
      this.on.invalid(checked.problem);
      return;
    }
    const m = checked.message;
    switch (m.type) {
      case 'hello': return this.onHello(m);
      case 'subscribed': this.cursor.subscribed(); this.cursor.cursor(m.seq); return;
      case 'caught-up': this.cursor.cursor(m.seq); this.on.notice('live', `caught up at seq ${m.seq}`); return;
      case 'heartbeat': case 'pong': this.cursor.cursor(m.seq); return;
      case 'gap': return this.onGap(m);
      default:
        if (this.cursor.accept(m.seq)) {
          this.provenHealthy();
          this.on.event(m);
        }
    }
  }

  private onHello(m: HelloMessage): void {
    // A fleet server (serve --from) sends tallied rows, not a capture's events: nothing here
    // would show them; said at once instead of skipping every message it sends.
    if (m.stream.kind === 'fleet') {
      return this.fail(new UsageError('WATCH_FLEET_SERVER', `${this.opts.url}: a fleet server (serve --from): open its page, or ask the stream with \`cfgscope fleet --server nats://...\``));
    }
    const newStream = this.streamId !== null && m.stream.id !== this.streamId;
    if (newStream) this.cursor = new SeqCursor();
    this.streamId = m.stream.id;
    this.heartbeatMs = Math.min(Math.max(m.heartbeatMs ?? DEFAULT_HEARTBEAT_MS, HEARTBEAT_MIN_MS), HEARTBEAT_MAX_MS);
    // A hello alone proves nothing (a server may close right after it): the backoff starts again
    // only once this connection delivers an event or stays open HEALTHY_MS.
    clearTimeout(this.healthy);
    this.healthy = setTimeout(() => this.provenHealthy(), HEALTHY_MS);
    this.armWatchdog();
    this.on.hello(m, this.cursor.resumeFrom(), newStream);
    this.subscribe();
  }

  private onGap(m: GapMessage): void {
    const what = m.count === null ? 'an unknown number of' : String(m.count);
    if (m.reason === 'expired') {
      // The server no longer has them; asking again would get the same answer.
      this.on.notice('gap', `missed ${what} events, seq ${m.from}-${m.to}: the server no longer has them`);
      this.cursor.cursor(m.seq);
      return;
    }
    this.on.notice('gap', `missed ${what} events, seq ${m.from}-${m.to} (${m.reason}): re-requested`);
    this.cursor.gap(m.from);
    this.cursor.cursor(m.seq);
    this.subscribe();
  }

  private provenHealthy(): void {
    clearTimeout(this.healthy);
    this.backoff = BACKOFF_FIRST_MS;
  }

  private onClose(code: number, reason: string): void {
    clearTimeout(this.watchdog);
    clearTimeout(this.healthy);
    this.ws = null;
    if (this.stopped) return;
    const fatal = FATAL_CLOSES.get(code);
    if (fatal) return this.fail(new CfgscopeError(fatal[0], `${this.opts.url}: closed ${code}: ${fatal[1]}${reason ? ` (${reason})` : ''}`));
    const wait = this.backoff;
    this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
    this.on.notice('reconnecting', `connection closed (${code}${reason ? `: ${reason}` : ''}); reconnecting in ${(wait / 1000).toFixed(2)} s, resuming from seq ${this.cursor.resumeFrom()}`);
    this.retry = setTimeout(() => this.connect(), timerDelay(wait));
  }

  /** Nothing for three heartbeat intervals: the connection is dead even without a close. */
  private armWatchdog(): void {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      const ws = this.ws;
      this.ws = null;
      ws?.terminate();
      this.onClose(1006, `nothing for ${(3 * this.heartbeatMs) / 1000} s`);
    }, timerDelay(3 * this.heartbeatMs));
  }
}
