// `cfgscope serve <capture> [--policy ...] [--preserve bdf] [--listen host:port] [--token T]
// [--allow-origin O] [--max-clients N] [--speed N | --fast]`: replays a capture (any input format) to websocket clients and the page
// in web/ (docs/protocol.md), at recorded speed, N times faster, or as fast as it reads; keeps
// serving after the end so late clients can read it all. Ctrl-C or SIGTERM close it cleanly (exit 0).

import { Inventory } from '../identity/inventory.js';
import { carryPrevious } from '../pipeline/previous-capture.js';
import { PREVIOUS_CAPTURE_HELP, reportCarried } from './previous-capture-option.js';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { firstValueFrom } from 'rxjs';
import { captureHistory, replayCapture, type CaptureStreamOptions } from '../server/capture-stream.js';
import { DEFAULT_LISTEN, parseListen } from '../server/listen-address.js';
import { parseAllowedOrigin } from '../server/peer-check.js';
import { serveEvents } from '../server/serve-events.js';
import { resolveFormat } from '../sources/records-from-file.js';
import { fileSourceOptions, inputFormatOption, retiredFormatOption, type InputFormatOptions } from './input-format-option.js';
import { onInterrupt } from './interrupt.js';
import type { CliIo, CliResult } from './cli-types.js';
import { numberIn, parseMaxClients } from './numeric-option.js';
import { BOOT_HELP, parseBootArg } from './boot-option.js';
import type { BootSelector } from '../model/boot-selection.js';
import { nodeCrypto } from '../model/node-crypto.js';
import { parseBdfArg, policyForRun } from './policy-options.js';
import { repeatable } from './repeatable.js';
import { publishCapture } from './publish-capture.js';
import { addPublishOptions, openPublisher, type PublishFlags } from './publish-options.js';
import { parseSince } from './fleet-command.js';
import { refuseCaptureOptions, serveFleet } from './serve-fleet.js';
import { UsageError } from '../model/errors.js';

interface ServeOptions extends InputFormatOptions, PublishFlags {
  policy?: string[];
  preserve?: string[];
  devices?: string[];
  listen?: string;
  token?: string;
  speed?: number;
  fast?: boolean;
  heartbeat?: number;
  allowOrigin?: string[];
  maxClients?: number;
  boot?: BootSelector;
  from?: string;
  since?: number;
  kernelRelease?: string;
  durable?: string;
  previousCapture?: string;
}

function parseSpeed(opts: ServeOptions): number {
  if (opts.fast) return 0;
  return opts.speed ?? 1;
}

/** --speed: a replay a thousand times slower than recorded is already a still picture; a million
 *  times faster is as fast as it reads (--fast). Past these the waits overflow timers. */
const parseSpeedArg = numberIn({ code: 'SERVE_BAD_SPEED', min: 0.001, max: 1_000_000, what: 'a number (or --fast)' });
/** --heartbeat: watch takes the server's interval within the same range (src/watch/watch-client.ts). */
const parseHeartbeat = numberIn({ code: 'SERVE_BAD_HEARTBEAT', min: 100, max: 600_000, what: 'whole milliseconds', integer: true });

/** One line, no stack: what the operator needs to report it. */
function internalMessage(e: unknown): string {
  const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return text.replace(/[\x00-\x1f\x7f]+/g, ' ').slice(0, 300);
}

/** Same file (path, size, mtime), same policy and devices: same events, same seq. */
async function streamId(file: string, policy: unknown, devices: readonly string[]): Promise<string> {
  const st = await stat(file);
  return nodeCrypto().createHash('sha256').update(JSON.stringify([resolve(file), st.size, st.mtimeMs, policy, devices])).digest('hex').slice(0, 16);
}

export function serveCommand(program: Command, io: CliIo, _result: CliResult): void {
  addPublishOptions(program.command('serve'), 'with --publish or --from')
    .description('replay a capture, or show a fleet live (--from), to websocket clients and the browser page (docs/protocol.md)')
    .argument('[capture]', 'capture file or raw trace (not with --from)')
    .option('-p, --policy <file|builtin>', 'policy file or builtin; repeat to compose, in order (none: accesses only)', repeatable)
    .option('--preserve <bdf>', 'mark this device preserved, in addition to the policy\'s own selectors (repeatable)', parseBdfArg)
    .option('-d, --devices <source>', 'device identity from a device-side trace, a capture or sysfs[:path] (repeatable)', repeatable)
    .addOption(inputFormatOption())
    .addOption(retiredFormatOption('serve'))
    .option('--listen <host:port>', `where to listen (default ${DEFAULT_LISTEN.host}:${DEFAULT_LISTEN.port}; non-loopback needs --token)`)
    .option('--token <T>', 'token clients must present (default: $CFGSCOPE_TOKEN)')
    .option('--speed <N>', 'replay N times faster than recorded, 0.001 to 1000000 (default 1: recorded speed)', parseSpeedArg)
    .option('--fast', 'replay as fast as possible')
    .option('--heartbeat <ms>', 'heartbeat interval in milliseconds, 100 to 600000 (default 5000)', parseHeartbeat)
    .option('--allow-origin <origin>', 'also accept websocket and page requests from this web origin, e.g. http://localhost:3000 (repeatable; docs/security.md)', repeatable)
    .option('--max-clients <N>', 'websocket clients served at once, 1 to 100000; more get 503 (default 64)', parseMaxClients)
    .option('--boot <N|handover>', BOOT_HELP, parseBootArg)
    .option('--previous-capture <capture>', PREVIOUS_CAPTURE_HELP)
    .option('--from <nats-url>', 'instead of a capture: the fleet view, live, from the NATS JetStream server(s) machines publish to (nats://host:port; docs/fleet.md)')
    .option('--since <when>', 'with --from: only findings made since then: 30m, 2h, 7d, or a date', (v) => parseSince(v))
    .option('--kernel-release <release>', 'with --from: only this kernel release (uname -r of the traced kernel)')
    .option('--durable <name>', 'with --from: name of the durable consumer it reads with (default: cfgscope-serve- and a random suffix)')
    .action(async (file: string | undefined, opts: ServeOptions) => {
      const listen = opts.listen !== undefined ? parseListen(opts.listen) : DEFAULT_LISTEN;
      const token = opts.token ?? process.env['CFGSCOPE_TOKEN'] ?? null;
      const allowedOrigins = (opts.allowOrigin ?? []).map(parseAllowedOrigin);
      const onInternalError = (e: unknown): void => io.stderr(`cfgscope serve: internal error (one request or client refused, still serving): ${internalMessage(e)}\n`);
      if (opts.from !== undefined) {
        refuseCaptureOptions(opts as Record<string, unknown>, file);
        await serveFleet({
          ...opts, from: opts.from, listen, token, allowedOrigins, onInternalError,
          ...(opts.heartbeat !== undefined ? { heartbeatMs: opts.heartbeat } : {}),
        }, io);
        return;
      }
      if (file === undefined) throw new UsageError('SERVE_NOTHING', 'say what to serve: a capture file, or --from nats://host:port for the fleet view');
      const fleetOnly = (['since', 'kernelRelease', 'durable'] as const).filter((k) => opts[k] !== undefined);
      if (fleetOnly.length > 0) throw new UsageError('SERVE_FROM_CONFLICT', `--${fleetOnly[0] === 'kernelRelease' ? 'kernel-release' : fleetOnly[0]} is for the fleet view (--from nats://...)`);
      const speed = parseSpeed(opts);
      const policy = await policyForRun(opts.policy ?? [], opts.preserve ?? [], io, 'nothing was served');
      const format = await resolveFormat(file, fileSourceOptions(opts));
      const devices = opts.devices ?? [];
      const stream: CaptureStreamOptions = { file, format, policy, devices, ...(opts.boot ? { boot: opts.boot } : {}), ...(opts.previousCapture ? { previous: opts.previousCapture } : {}) };
      // Read once here too, so what it cannot carry is said before serving (each pass reads it again).
      if (opts.previousCapture) reportCarried('serve', await carryPrevious(new Inventory(), opts.previousCapture), io);
      const publisher = openPublisher(opts);
      const interrupt = onInterrupt();
      // Subscribed before the "listening" line: a SIGINT/SIGTERM sent the moment serve says it
      // listens (a supervisor, a test) closes it cleanly instead of killing it by the signal.
      const stopped = firstValueFrom(interrupt.signal$);
      const published = publisher ? publishCapture(file, format, policy, devices, publisher, io) : null;
      const server = await serveEvents({
        source: replayCapture(stream, speed),
        history: captureHistory(stream),
        meta: {
          id: await streamId(file, { sources: policy.sources, preserved: policy.preserved, ...(opts.boot ? { boot: opts.boot } : {}), ...(opts.previousCapture ? { previous: opts.previousCapture } : {}) }, devices),
          kind: 'replay', file, format: format.kind, speed,
          policy: { sources: policy.sources, rules: policy.rules.length, preserved: policy.preserved },
        },
        listen,
        token,
        ...(opts.heartbeat !== undefined ? { heartbeatMs: opts.heartbeat } : {}),
        allowedOrigins,
        ...(opts.maxClients !== undefined ? { maxClients: opts.maxClients } : {}),
        onInternalError,
      });
      io.stderr(`cfgscope serve: listening on ${server.url}/ (websocket ${server.url.replace(/^http/, 'ws')}/ws)${token !== null ? ', token required' : ''}\n`);
      void server.ended.then(() => {
        io.stderr(`cfgscope serve: ${file} replayed, ${server.stats().head} events; still serving (Ctrl-C to stop)\n`);
      });
      await stopped;
      await server.close();
      await published;
      io.stderr(`cfgscope serve: ${interrupt.received ?? 'signal'}: closed\n`);
    });
}
