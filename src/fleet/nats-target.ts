// Where a fleet command connects: a `nats://host:port` URL (or several, comma-separated, for a
// cluster) with credentials and TLS from the URL, options or CFGSCOPE_NATS_* environment
// variables. Credentials are best given in the environment: a password on the command line is
// visible to every user in `ps`. Pure: turns text into connection options; connecting is
// fleet-connection.ts's.

import { UsageError } from '../model/errors.js';

export interface NatsTarget {
  /** `host:port` per server, as the client takes them. */
  servers: string[];
  user?: string;
  pass?: string;
  token?: string;
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  /** The URL without credentials, for messages and the spool's default name. */
  display: string;
}

export interface TlsFlags {
  natsCa?: string;
  natsCert?: string;
  natsKey?: string;
}

const SCHEMES = new Set(['nats:', 'tls:']);

/** One server URL: `nats://[user:pass@|token@]host[:port]`; `tls://` asks for TLS. */
function parseOne(text: string, option: string): { server: string; user?: string; pass?: string; token?: string; tls: boolean } {
  let u: URL;
  try {
    u = new URL(text.trim());
  } catch {
    throw new UsageError('FLEET_BAD_URL', `${option} ${JSON.stringify(text)}: not a URL; expected nats://host:port`);
  }
  if (!SCHEMES.has(u.protocol) || u.hostname === '') {
    throw new UsageError('FLEET_BAD_URL', `${option} ${JSON.stringify(text)}: expected nats://host:port (or tls://host:port)`);
  }
  const server = `${u.hostname.includes(':') && !u.hostname.startsWith('[') ? `[${u.hostname}]` : u.hostname}:${u.port || '4222'}`;
  const user = u.username ? decodeURIComponent(u.username) : undefined;
  const pass = u.password ? decodeURIComponent(u.password) : undefined;
  // nats://secret@host is a token, nats://user:pass@host a user and password (the client's own rule).
  return user !== undefined && pass === undefined
    ? { server, token: user, tls: u.protocol === 'tls:' }
    : { server, ...(user !== undefined ? { user } : {}), ...(pass !== undefined ? { pass } : {}), tls: u.protocol === 'tls:' };
}

export function natsTarget(url: string, option: string, flags: TlsFlags = {}, env: NodeJS.ProcessEnv = process.env): NatsTarget {
  const parts = url.split(',').filter((p) => p.trim() !== '').map((p) => parseOne(p, option));
  if (parts.length === 0) throw new UsageError('FLEET_BAD_URL', `${option}: no server given; expected nats://host:port`);
  const first = parts[0]!;
  const user = first.user ?? env['CFGSCOPE_NATS_USER'];
  const pass = first.pass ?? env['CFGSCOPE_NATS_PASSWORD'];
  const token = first.token ?? env['CFGSCOPE_NATS_TOKEN'];
  if (token !== undefined && user !== undefined) {
    throw new UsageError('FLEET_BAD_URL', `${option}: both a token and a user are given (URL or CFGSCOPE_NATS_*); use one`);
  }
  const caFile = flags.natsCa ?? env['CFGSCOPE_NATS_CA'];
  const certFile = flags.natsCert ?? env['CFGSCOPE_NATS_CERT'];
  const keyFile = flags.natsKey ?? env['CFGSCOPE_NATS_KEY'];
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new UsageError('FLEET_BAD_URL', `${option}: a client certificate needs both --nats-cert and --nats-key (or CFGSCOPE_NATS_CERT and CFGSCOPE_NATS_KEY)`);
  }
  const wantsTls = parts.some((p) => p.tls) || caFile !== undefined || certFile !== undefined;
  return {
    servers: parts.map((p) => p.server),
    ...(user !== undefined ? { user } : {}),
    ...(pass !== undefined ? { pass } : {}),
    ...(token !== undefined ? { token } : {}),
    ...(wantsTls ? { tls: { ...(caFile ? { caFile } : {}), ...(certFile ? { certFile } : {}), ...(keyFile ? { keyFile } : {}) } } : {}),
    display: parts.map((p) => `${wantsTls ? 'tls' : 'nats'}://${p.server}`).join(','),
  };
}
