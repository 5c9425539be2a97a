// `capture --listen host:port`: the live capture's events served to websocket clients and the web
// page by the same server as `cfgscope serve` (src/server, docs/protocol.md). The capture file being
// written is the history a client resumes from: it holds exactly the records the live pipeline was
// fed, so its re-read gives every event the same seq.

import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Subject } from 'rxjs';
import { captureFormat } from '../parsers/capture.js';
import type { Policy } from '../policy/policy-types.js';
import { captureHistory } from '../server/capture-stream.js';
import type { ListenAddress } from '../server/listen-address.js';
import { serveEvents, type ServeHandle } from '../server/serve-events.js';
import type { ServedEvent } from '../server/wire-message.js';
import { nodeCrypto } from '../model/node-crypto.js';

/** After the capture ends, how long clients get to receive its last events before the server closes. */
const DRAIN_MS = 5000;

export interface LiveServer {
  url: string;
  push(e: ServedEvent): void;
  /** The stream ended (the capture file is closed): let clients catch up, then close. */
  finish(): Promise<void>;
}

export interface LiveServeOptions {
  listen: ListenAddress;
  token: string | null;
  output: string;
  policy: Policy;
  ringSize: number;
  /** The same checks and limits as `cfgscope serve` (docs/security.md). */
  allowedOrigins?: readonly string[];
  maxClients?: number;
  onInternalError?: (e: unknown) => void;
}

export async function serveLiveCapture(o: LiveServeOptions): Promise<LiveServer> {
  const events = new Subject<ServedEvent>();
  const id = nodeCrypto().createHash('sha256').update(JSON.stringify([resolve(o.output), Date.now(), process.pid])).digest('hex').slice(0, 16);
  const server: ServeHandle = await serveEvents({
    source: events.asObservable(),
    history: captureHistory({ file: o.output, format: captureFormat, policy: o.policy, devices: [], growing: true }),
    meta: {
      id, kind: 'live', file: o.output, format: 'bpftrace', speed: null,
      policy: { sources: o.policy.sources, rules: o.policy.rules.length, preserved: o.policy.preserved },
    },
    listen: o.listen,
    token: o.token,
    ringSize: o.ringSize,
    allowedOrigins: o.allowedOrigins ?? [],
    ...(o.maxClients !== undefined ? { maxClients: o.maxClients } : {}),
    ...(o.onInternalError ? { onInternalError: o.onInternalError } : {}),
  });
  return {
    url: server.url,
    push: (e) => events.next(e),
    async finish() {
      events.complete();
      const deadline = Date.now() + DRAIN_MS;
      while (Date.now() < deadline) {
        const s = server.stats();
        if (s.clients.every((c) => c.mode === 'closed' || c.cursor >= s.head)) break;
        await sleep(100);
      }
      await server.close();
    },
  };
}
