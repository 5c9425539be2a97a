// A real ws client for the server tests: keeps every message, and lets a test wait for the first
// message matching a predicate (events, never sleeps).
import WebSocket from 'ws';

export interface Msg { type: string; seq: number; [k: string]: unknown }

export class TestClient {
  readonly messages: Msg[] = [];
  readonly ws: WebSocket;
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: { pred: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];

  constructor(url: string, opts: WebSocket.ClientOptions = {}) {
    this.ws = new WebSocket(url, opts);
    this.ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as Msg;
      this.messages.push(m);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(m)) return true;
        w.resolve(m);
        return false;
      });
    });
    this.closed = new Promise((resolve) => this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.ws.on('error', () => undefined);
  }

  /** The first message (already received or to come) matching `pred`. */
  next(pred: (m: Msg) => boolean): Promise<Msg> {
    const seen = this.messages.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }

  /** The next matching message received after this call. */
  upcoming(pred: (m: Msg) => boolean): Promise<Msg> {
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }

  send(m: unknown): void {
    this.ws.send(typeof m === 'string' ? m : JSON.stringify(m));
  }

  /** Event messages (those that own their seq), in arrival order. */
  events(): Msg[] {
    return this.messages.filter((m) => !CONTROL.has(m.type));
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
    await this.closed;
  }
}

export const CONTROL: ReadonlySet<string> = new Set(['hello', 'subscribed', 'caught-up', 'gap', 'heartbeat', 'pong']);
