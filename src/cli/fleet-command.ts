// `cfgscope fleet --server nats://host:port`: what every machine that ran with --publish found,
// per kernel release, device identity (vendor:device[:subsystem]), register and call site:
// violations, which machines, how many runs, first and last seen (docs/fleet.md).

import { InvalidArgumentError, type Command } from 'commander';
import { connectFleet, errorText, isAuthRefusal, retryTransient } from '../fleet/fleet-connection.js';
import type { Envelope, FleetFinding } from '../fleet/fleet-message.js';
import { readFindings } from '../fleet/fleet-read.js';
import { checkToken } from '../fleet/fleet-subjects.js';
import { FleetTally } from '../fleet/fleet-tally.js';
import { natsTarget, type TlsFlags } from '../fleet/nats-target.js';
import { CfgscopeError } from '../model/errors.js';
import { fleetNdjson, fleetText } from '../sinks/fleet-text.js';
import type { CliIo, CliResult } from './cli-types.js';
import { inputFormatHint } from './input-format-option.js';

interface FleetOptions extends TlsFlags {
  server?: string;
  since?: number;
  kernelRelease?: string;
  json?: boolean;
  format?: string;
  durable: string;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since 2h`, `30m`, `7d`, or a date `2026-12-01` / `2026-12-01T10:00:00Z`. */
export function parseSince(v: string, now = Date.now()): number {
  const rel = /^(\d+)([smhd])$/.exec(v.trim());
  if (rel) return now - Number(rel[1]) * UNITS[rel[2]!]!;
  const abs = /^\d{4}-\d{2}-\d{2}([T ][0-9:.]+Z?)?$/.test(v.trim()) ? Date.parse(v.trim()) : NaN;
  if (Number.isNaN(abs)) throw new InvalidArgumentError('FLEET_BAD_SINCE: a duration (30m, 2h, 7d) or a date (2026-12-01, 2026-12-01T10:00:00Z)');
  return abs;
}

const parseFormat = (v: string): string => {
  if (v !== 'text' && v !== 'json') throw new InvalidArgumentError(`UNKNOWN_FORMAT: text or json${inputFormatHint(v)}`);
  return v;
};

export function fleetCommand(program: Command, io: CliIo, _result: CliResult): void {
  program.command('fleet')
    .description('violations across every machine that published (--publish): per kernel, device identity, register and call site')
    .option('--server <nats-url>', 'the NATS JetStream server(s) the machines publish to (nats://host:port[,nats://...]; or CFGSCOPE_NATS_SERVER)')
    .option('--since <when>', 'only findings made since then: 30m, 2h, 7d, or a date', (v) => parseSince(v))
    .option('--kernel-release <release>', 'only this kernel release (uname -r of the traced kernel; not boot-args\' --kernel, a file)')
    .option('--format <kind>', 'output: text or json (NDJSON rows, then totals)', parseFormat)
    .option('--json', 'same as --format json')
    .option('--durable <name>', 'name of the durable consumer the query reads with', 'cfgscope-fleet')
    .option('--nats-ca <file>', 'CA certificate for TLS (or CFGSCOPE_NATS_CA)')
    .option('--nats-cert <file>', 'client certificate for TLS (or CFGSCOPE_NATS_CERT)')
    .option('--nats-key <file>', 'client key for TLS (or CFGSCOPE_NATS_KEY)')
    .action(async (opts: FleetOptions) => {
      const url = opts.server ?? process.env['CFGSCOPE_NATS_SERVER'];
      if (!url) throw new CfgscopeError('FLEET_NO_SERVER', 'say which server: --server nats://host:port (or CFGSCOPE_NATS_SERVER)');
      const target = natsTarget(url, '--server', opts);
      const durable = checkToken(opts.durable, '--durable');
      const tally = new FleetTally({ ...(opts.since !== undefined ? { since: opts.since } : {}), ...(opts.kernelRelease !== undefined ? { kernel: opts.kernelRelease } : {}) });
      let conn;
      try {
        // A server that is down is said at once; a cluster still electing leaders after a node
        // died answers with timeouts for some seconds, and is asked again for 30 s.
        conn = await retryTransient(30_000, () => connectFleet(target, 5000, 'cfgscope fleet'));
      } catch (e) {
        if (isAuthRefusal(e)) throw new CfgscopeError('FLEET_AUTH', `${target.display} refused the credentials (--server's user:password@ or token@, CFGSCOPE_NATS_USER/_PASSWORD/_TOKEN): ${errorText(e)}`);
        throw new CfgscopeError('FLEET_UNREACHABLE', `cannot reach ${target.display}: ${errorText(e)}`);
      }
      try {
        await readFindings(conn, { durable, ...(opts.since !== undefined ? { since: opts.since } : {}) }, (json) => tally.add(json as Envelope<FleetFinding> | null));
      } catch (e) {
        if (e instanceof CfgscopeError) throw e;
        throw new CfgscopeError('FLEET_READ_FAILED', `reading the stream on ${target.display} failed: ${errorText(e)}`);
      } finally {
        await conn.nc.close().catch(() => undefined);
      }
      const rows = tally.sorted();
      io.stdout(opts.json || opts.format === 'json' ? fleetNdjson(tally, rows) : fleetText(target.display, tally, rows));
    });
}
