// The server's websocket clients: the handshake of an upgrade the HTTP side let through, one
// ClientSession per connection, their messages, heartbeats and closes, and a published batch
// offered to each. What comes before (the gate, the client limit's refusal) is http-handlers.ts.

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { authorized } from './access-token.js';
import { parseClientMessage } from './client-message.js';
import { ClientSession } from './client-session.js';
import { CLOSE_GOING_AWAY, CLOSE_INTERNAL, CLOSE_UNAUTHORIZED } from './close-codes.js';
import { closeWith } from './close-with.js';
import type { InternalErrors } from './guarded.js';
import type { ClientStats, SessionLimits } from './session-types.js';
import type { ServedStream } from './served-stream.js';
import type { WireEvent } from './wire-message.js';

export interface ClientRules {
  token: string | null;
  maxPayload: number;
  limits: SessionLimits;
  /** The `hello` each client is sent first. */
  hello: () => Record<string, unknown>;
  /** A connection refused for its token (the server's `refused.token`). */
  onTokenRefused: () => void;
}

export class WebsocketClients {
  private readonly sessions = new Map<WebSocket, ClientSession>();
  /** Upgrades accepted by the gate whose websocket handshake has not finished: they count as clients. */
  private readonly handshaking = new Set<Duplex>();
  private readonly wss: WebSocketServer;
  private nextId = 1;
  /** Of clients gone: cut off for not reading, and the largest send buffer one had. */
  droppedNotReading = 0;
  private peakBufferedGone = 0;

  constructor(private readonly stream: ServedStream, private readonly rules: ClientRules, private readonly errors: InternalErrors) {
    // No compression: an event's bytes are serialised once for every client and sent as they are.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: rules.maxPayload, perMessageDeflate: false });
  }

  /** Connected and handshaking: what the client limit counts. */
  get count(): number {
    return this.sessions.size + this.handshaking.size;
  }

  /** An upgrade the gate let through: the websocket handshake, then a session. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
    this.handshaking.add(socket);
    // A failed handshake (ws answers 400 itself) never calls back: the socket's close ends it too.
    socket.once('close', () => this.handshaking.delete(socket));
    // The session corks this socket around a batch (client-sender.ts): given here, not taken from ws.
    this.wss.handleUpgrade(req, socket, head, this.errors.guard((ws: WebSocket) => {
      this.handshaking.delete(socket);
      this.connected(ws, req, url, socket);
    }, (ws: WebSocket) => closeWith(ws, CLOSE_INTERNAL, 'internal error')));
  }

  private connected(ws: WebSocket, req: IncomingMessage, url: URL, socket: Duplex): void {
    // A socket error (reset, a frame over maxPayload) is followed by close; nothing else to do.
    ws.on('error', () => undefined);
    if (!authorized(this.rules.token, req, url)) {
      this.rules.onTokenRefused();
      ws.close(CLOSE_UNAUTHORIZED, 'missing or wrong token');
      return;
    }
    const closeInternal = (): void => closeWith(ws, CLOSE_INTERNAL, 'internal error');
    const s = new ClientSession(this.nextId++, ws, socket, this.stream, this.rules.limits, (e) => { this.errors.caught(e); closeInternal(); });
    this.sessions.set(ws, s);
    ws.on('message', this.errors.guard((data: RawData, isBinary: boolean) => this.message(ws, s, data, isBinary), closeInternal));
    ws.on('pong', () => s.ponged());
    ws.on('close', this.errors.guard(() => this.closed(ws, s), () => undefined));
    s.sendControl(this.rules.hello());
  }

  private message(ws: WebSocket, s: ClientSession, data: RawData, isBinary: boolean): void {
    const m = parseClientMessage(data, isBinary);
    if ('close' in m) { closeWith(ws, m.close, m.reason); return; }
    if (m.type === 'subscribe') s.subscribe(m.sub.from ?? this.stream.first(), m.sub.filter);
    else s.sendControl({ type: 'pong', id: m.id });
    s.pauseIfFull();
  }

  private closed(ws: WebSocket, s: ClientSession): void {
    s.close();
    this.sessions.delete(ws);
    const st = s.stats();
    if (st.notReading) this.droppedNotReading++;
    this.peakBufferedGone = Math.max(this.peakBufferedGone, st.peakBuffered);
  }

  /** A published batch, sent to every live client before this returns. */
  offer(wired: readonly WireEvent[]): void {
    for (const [ws, s] of this.sessions) {
      try { s.offer(wired); } catch (e) { this.errors.caught(e); closeWith(ws, CLOSE_INTERNAL, 'internal error'); }
    }
  }

  /** Every heartbeat: a ping, a pending gap, the heartbeat message; a dead client is cut off. */
  heartbeat(): void {
    const message = { type: 'heartbeat', next: this.stream.head() + 1, ended: this.stream.ended, time: new Date().toISOString() };
    const beat = (ws: WebSocket, s: ClientSession): void => {
      if (!s.checkAlive()) { ws.terminate(); return; }
      ws.ping();
      s.flushGap();
      s.sendControl(message);
    };
    for (const [ws, s] of this.sessions) this.errors.guard(beat, () => ws.terminate())(ws, s);
  }

  stats(): { clients: ClientStats[]; peakBuffered: number } {
    const clients = [...this.sessions.values()].map((s) => s.stats());
    return { clients, peakBuffered: Math.max(this.peakBufferedGone, ...clients.map((c) => c.peakBuffered)) };
  }

  /** Closes every client with 1001; those that do not answer the close handshake are cut off. */
  async close(): Promise<void> {
    for (const [ws, s] of this.sessions) { s.close(); ws.close(CLOSE_GOING_AWAY, 'server shutting down'); }
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => { for (const ws of this.wss.clients) ws.terminate(); }, 1000);
      this.wss.close(() => { clearTimeout(force); resolve(); });
    });
  }
}
