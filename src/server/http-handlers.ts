// The server's HTTP side: the page (static files of web/ and the page modules the server makes),
// websocket upgrades handed to WebsocketClients, and requests the parser cannot read. Every request
// and upgrade goes through the gate first (http-gate.ts); each refusal is counted by reason.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { authorized, tokenCookie } from './access-token.js';
import type { InternalErrors } from './guarded.js';
import { gate, refuseRequest, refuseUpgrade, type Refusal, type RefusalReason } from './http-gate.js';
import { pageModules } from './page-modules.js';
import type { PeerRules } from './peer-check.js';
import { sendModule, sendStatic } from './static-files.js';
import type { WebsocketClients } from './websocket-clients.js';

export interface HttpRules {
  peer: PeerRules;
  token: string | null;
  webRoot: string;
  maxClients: number;
}

export class HttpHandlers {
  readonly refused: Record<RefusalReason, number> = { 'bad-request': 0, host: 0, origin: 0, 'not-found': 0, full: 0, token: 0 };
  private readonly modules = pageModules();

  constructor(private readonly rules: HttpRules, private readonly clients: WebsocketClients, private readonly errors: InternalErrors) {}

  private refuse(r: Refusal): Refusal {
    this.refused[r.reason]++;
    return r;
  }

  readonly request = (req: IncomingMessage, res: ServerResponse): void => {
    const url = gate(req, this.rules.peer);
    if (!(url instanceof URL)) { refuseRequest(res, this.refuse(url)); return; }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    if (!authorized(this.rules.token, req, url)) {
      this.refused.token++;
      res.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8' }).end('cfgscope serve: missing or wrong token (?token=..., Authorization: Bearer ...)\n');
      return;
    }
    const cookie = tokenCookie(this.rules.token, url);
    const headers: Record<string, string> = cookie ? { 'Set-Cookie': cookie } : {};
    const module = this.modules.get(url.pathname);
    if (module !== undefined) { sendModule(module, req.method === 'HEAD', res, headers); return; }
    sendStatic(this.rules.webRoot, url.pathname, req.method === 'HEAD', res, headers).catch((e: unknown) => {
      this.errors.caught(e);
      res.destroy();
    });
  };

  readonly upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // Node leaves an upgraded socket without an error listener: a reset would be an uncaught error.
    socket.on('error', () => socket.destroy());
    const url = gate(req, this.rules.peer);
    if (!(url instanceof URL)) { refuseUpgrade(socket, this.refuse(url)); return; }
    if (url.pathname !== '/ws') { refuseUpgrade(socket, this.refuse({ status: 404, reason: 'not-found', text: 'the websocket is at /ws' })); return; }
    const max = this.rules.maxClients;
    if (this.clients.count >= max) {
      refuseUpgrade(socket, this.refuse({ status: 503, reason: 'full', text: `${max} clients are connected, the most this server takes (--max-clients)` }));
      return;
    }
    this.clients.upgrade(req, socket, head, url);
  };

  /**
   * What the HTTP parser cannot read gets a 400 (as Node's default handler); a reset or a
   * timeout (slowloris) just closes.
   */
  readonly clientError = (e: NodeJS.ErrnoException, socket: Duplex): void => {
    if (e.code?.startsWith('HPE_') && socket.writable) {
      this.refused['bad-request']++;
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    } else socket.destroy();
  };
}
