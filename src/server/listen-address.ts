// `--listen host:port` parsing and the loopback test that decides whether a token is required.

import { isIP } from 'node:net';
import { CfgscopeError } from '../model/errors.js';

export interface ListenAddress { host: string; port: number }

export const DEFAULT_LISTEN: ListenAddress = { host: '127.0.0.1', port: 7878 };

/** `127.0.0.1:7878`, `[::1]:0`, `localhost:8080`, `0.0.0.0:7878`. */
export function parseListen(text: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new CfgscopeError('SERVE_BAD_LISTEN', `--listen ${JSON.stringify(text)}: expected host:port (e.g. 127.0.0.1:7878, [::1]:7878, 0.0.0.0:7878)`);
  const host = m[1] ?? m[2]!;
  if (m[1] !== undefined && isIP(host) !== 6) throw new CfgscopeError('SERVE_BAD_LISTEN', `--listen ${JSON.stringify(text)}: ${host} is not an IPv6 address`);
  return { host, port };
}

/** Only these reach the server from this machine alone; `0.0.0.0`, `::` and names reach further. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  return mapped !== null && mapped[1]!.startsWith('127.');
}
