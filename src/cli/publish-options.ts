// `--publish nats://host:port` and its companions, one meaning on every command that has them
// (import, check, capture; docs/fleet.md). Settings a fleet sets once (credentials, stream limits,
// the spool's size) are CFGSCOPE_NATS_* environment variables.

import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { CfgscopeError } from '../model/errors.js';
import { limitsFromEnv } from '../fleet/fleet-connection.js';
import { checkToken, defaultMachine, defaultRun } from '../fleet/fleet-subjects.js';
import { natsTarget, type TlsFlags } from '../fleet/nats-target.js';
import { SpoolFile } from '../fleet/spool-file.js';
import { FleetPublisher } from '../sinks/fleet-publisher.js';
import { numberIn } from './numeric-option.js';
import type { CliIo } from './cli-types.js';

export interface PublishFlags extends TlsFlags {
  publish?: string;
  machine?: string;
  run?: string;
  spool?: string;
  spoolMax?: number;
  publishWait?: number;
}

const parseSpoolMax = numberIn({ code: 'FLEET_BAD_SPOOL_MAX', min: 0.01, max: 1_048_576, what: 'MiB' });
const parseWait = numberIn({ code: 'FLEET_BAD_WAIT', min: 0, max: 86_400, what: 'seconds' });

/** `tlsFor`: which options the TLS files serve on this command (`serve`: --publish or --from). */
export function addPublishOptions(cmd: Command, tlsFor = 'with --publish'): Command {
  return cmd
    .option('--publish <nats-url>', 'also send the run\'s records and findings to a NATS JetStream server (nats://host:port; docs/fleet.md)')
    .option('--machine <name>', 'with --publish: this machine\'s name in the fleet (default: the host name)')
    .option('--run <name>', 'with --publish: this run\'s name (default: the start time and a random suffix)')
    .option('--spool <file>', 'with --publish: where messages wait until the server has them (default ~/.cache/cfgscope/spool-<server>)')
    .option('--spool-max <MiB>', 'with --publish: the spool\'s size limit (default 512)', parseSpoolMax)
    .option('--publish-wait <seconds>', 'with --publish: how long to wait at the end for a server that makes no progress (default 10)', parseWait)
    .option('--nats-ca <file>', `${tlsFor}: CA certificate for TLS (or CFGSCOPE_NATS_CA)`)
    .option('--nats-cert <file>', `${tlsFor}: client certificate for TLS (or CFGSCOPE_NATS_CERT)`)
    .option('--nats-key <file>', `${tlsFor}: client key for TLS (or CFGSCOPE_NATS_KEY)`);
}

const envNumber = (env: NodeJS.ProcessEnv, name: string, parse: (v: string) => number): number | undefined =>
  env[name] !== undefined && env[name] !== '' ? parse(env[name]!) : undefined;

/** The publisher for a command's run, or null without --publish. Usage errors before any input is read. */
export function openPublisher(flags: PublishFlags, env: NodeJS.ProcessEnv = process.env): FleetPublisher | null {
  const url = flags.publish ?? env['CFGSCOPE_NATS_PUBLISH'];
  if (url === undefined || url === '') return null;
  const target = natsTarget(url, '--publish', flags, env);
  const machine = checkToken(flags.machine ?? env['CFGSCOPE_NATS_MACHINE'] ?? defaultMachine(hostname()), '--machine');
  const run = checkToken(flags.run ?? defaultRun(new Date(), Math.random()), '--run');
  const spoolPath = flags.spool ?? env['CFGSCOPE_NATS_SPOOL'] ?? join(homedir(), '.cache', 'cfgscope', `spool-${target.servers[0]!.replace(/[^A-Za-z0-9_.-]/g, '_')}.ndjson`);
  const spoolMax = flags.spoolMax ?? envNumber(env, 'CFGSCOPE_NATS_SPOOL_MAX', parseSpoolMax) ?? 512;
  const wait = flags.publishWait ?? envNumber(env, 'CFGSCOPE_NATS_WAIT', parseWait) ?? 10;
  const spool = new SpoolFile(spoolPath, Math.floor(spoolMax * 1024 * 1024));
  return new FleetPublisher(spool, { target, machine, run, limits: limitsFromEnv(env), waitMs: wait * 1000 });
}

/** Ends publishing and says what happened, on stderr (stdout stays the command's own output).
 *  Refused credentials end the command with FLEET_AUTH (65); a run that is already failing or
 *  stopping for another reason passes `raise` false, and the refusal is only said. */
export async function finishPublishing(p: FleetPublisher | null, io: CliIo, waitMs?: number, raise = true): Promise<void> {
  if (!p) return;
  const o = await p.finish(waitMs);
  const dup = o.duplicates ? ` (${o.duplicates} already there)` : '';
  io.stderr(`cfgscope: published ${o.sent} message(s)${dup} as ${p.machine}/${p.run} to ${p.server}\n`);
  if (o.pendingBytes > 0) {
    io.stderr(`cfgscope: ${o.pendingBytes} bytes of messages wait in the spool ${p.spoolPath} (server: ${o.lastError ?? 'no answer'}); the next --publish with this spool sends them\n`);
  }
  // Wrong credentials do not heal by waiting, unlike a server that is down: the run says so
  // with its exit status, so a fleet job that publishes nothing does not pass unnoticed.
  if (!o.authRefused) return;
  const refused = new CfgscopeError('FLEET_AUTH', `${p.server} refused the credentials (user:password@ or token@ in the URL, CFGSCOPE_NATS_USER/_PASSWORD/_TOKEN): ${o.lastError ?? ''}`);
  if (raise) throw refused;
  io.stderr(`cfgscope: ${refused.message}\n`);
}
