// `cfgscope serve --from nats://host:port`: the fleet view, live, to the page and websocket
// clients (docs/fleet.md, docs/protocol.md "The fleet view"). The findings are read with a
// consumer that keeps going (src/fleet/fleet-follow.ts) and counted by `fleet`'s own tally
// (src/server/fleet-view.ts); the server, its page and its security are serve's, unchanged.

import { nodeCrypto } from '../model/node-crypto.js';
import { firstValueFrom } from 'rxjs';
import { followFindings } from '../fleet/fleet-follow.js';
import { checkToken } from '../fleet/fleet-subjects.js';
import { natsTarget, type TlsFlags } from '../fleet/nats-target.js';
import { UsageError } from '../model/errors.js';
import { printable } from '../model/escape-text.js';
import { FleetView } from '../server/fleet-view.js';
import type { ListenAddress } from '../server/listen-address.js';
import { serveEvents } from '../server/serve-events.js';
import type { CliIo } from './cli-types.js';
import { onInterrupt } from './interrupt.js';

export interface ServeFleetOptions extends TlsFlags {
  from: string;
  since?: number;
  kernelRelease?: string;
  durable?: string;
  listen: ListenAddress;
  token: string | null;
  heartbeatMs?: number;
  allowedOrigins: string[];
  maxClients?: number;
  onInternalError: (e: unknown) => void;
}

/** Options that say what capture to serve and how: meaningless with --from, refused. */
export const CAPTURE_ONLY = ['policy', 'preserve', 'devices', 'speed', 'fast', 'boot', 'publish', 'inputFormat', 'previousCapture'] as const;

export function refuseCaptureOptions(opts: Record<string, unknown>, file: string | undefined): void {
  if (file !== undefined) throw new UsageError('SERVE_FROM_CONFLICT', `serve either replays a capture (${file}) or shows a fleet (--from), not both`);
  const given = CAPTURE_ONLY.filter((k) => opts[k] !== undefined);
  if (given.length > 0) {
    const names = given.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    throw new UsageError('SERVE_FROM_CONFLICT', `${names.join(', ')} ${given.length === 1 ? 'is' : 'are'} for serving a capture; with --from the machines' own checks made the findings`);
  }
}

export async function serveFleet(o: ServeFleetOptions, io: CliIo): Promise<void> {
  const target = natsTarget(o.from, '--from', o);
  // A consumer of its own by default: two servers (or a server and `fleet`) must not replace
  // each other's consumer.
  const durable = checkToken(o.durable ?? `cfgscope-serve-${nodeCrypto().randomBytes(4).toString('hex')}`, '--durable');
  const view = new FleetView({ ...(o.since !== undefined ? { since: o.since } : {}), ...(o.kernelRelease !== undefined ? { kernel: o.kernelRelease } : {}) });
  const interrupt = onInterrupt();
  const stopped = firstValueFrom(interrupt.signal$);
  const server = await serveEvents({
    source: view.events,
    snapshot: () => view.snapshot(),
    meta: {
      // Each server counts from scratch: its rows and seq are its own (a page that reconnects to
      // another server starts again from its snapshot).
      id: nodeCrypto().randomBytes(8).toString('hex'), kind: 'fleet', policy: null,
      fleet: { server: target.display, since: o.since !== undefined ? new Date(o.since).toISOString() : null, kernelRelease: o.kernelRelease ?? null },
    },
    listen: o.listen,
    token: o.token,
    ...(o.heartbeatMs !== undefined ? { heartbeatMs: o.heartbeatMs } : {}),
    allowedOrigins: o.allowedOrigins,
    ...(o.maxClients !== undefined ? { maxClients: o.maxClients } : {}),
    onInternalError: o.onInternalError,
  });
  io.stderr(`cfgscope serve: listening on ${server.url}/ (websocket ${server.url.replace(/^http/, 'ws')}/ws)${o.token !== null ? ', token required' : ''}; fleet view of ${target.display}\n`);
  const aborter = new AbortController();
  let said = '';
  const following = followFindings({
    target, durable, signal: aborter.signal,
    ...(o.since !== undefined ? { since: o.since } : {}),
    onMessage: (json) => view.add(json),
    onState: (state, reason) => {
      view.setState(state, reason);
      // Each change of state on stderr too, once: an operator sees a stalled feed in the log.
      const line = `cfgscope serve: fleet feed ${state}${reason ? `: ${printable(reason)}` : ''}\n`;
      if (line !== said) { said = line; io.stderr(line); }
    },
  });
  await stopped;
  aborter.abort();
  await following;
  view.flush();
  await server.close();
  io.stderr(`cfgscope serve: ${interrupt.received ?? 'signal'}: closed\n`);
}
