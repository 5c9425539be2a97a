// `cfgscope capture -o <file> [--policy ...]`: traces this machine's config accesses live with the
// bundled bpftrace probe, writes the capture as it goes, and prints violations as they happen.

import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, type Command } from 'commander';
import { UsageError } from '../model/errors.js';
import { parseBdf } from '../model/bdf.js';
import type { CheckEvent } from '../pipeline/check-policy.js';
import type { CaptureRecord } from '../model/records.js';
import type { PipelineEvent } from '../model/events.js';
import { SEVERITIES, type Severity } from '../policy/policy-types.js';
import { refuseOutputIsInput } from '../sinks/atomic-file.js';
import { LiveFindingsSink } from '../sinks/live-findings.js';
import { probeBootTrace } from '../sources/boot-trace.js';
import { preflight } from '../sources/capture-preflight.js';
import { parseListen } from '../server/listen-address.js';
import type { ServedEvent } from '../server/wire-message.js';
import { addHandoverOptions, findTracefs, handoverToRead, runArmHandover, type HandoverFlags } from './capture-handover.js';
import { runCapture } from './capture-run.js';
import { serveLiveCapture } from './capture-serve.js';
import { EXIT_DATA, type CliIo, type CliResult } from './cli-types.js';
import { numberIn, parseMaxClients } from './numeric-option.js';
import { parseBdfArg, parseSeverity, policyForRun } from './policy-options.js';
import { renamedOption, renamedValue } from './renamed-option.js';
import { repeatable } from './repeatable.js';
import { addPublishOptions, finishPublishing, openPublisher, type PublishFlags } from './publish-options.js';

export const BUNDLED_PROBE = fileURLToPath(new URL('../../probes/cfgscope.bt', import.meta.url));

interface CaptureOptions extends PublishFlags, HandoverFlags {
  output?: string;
  policy?: string[];
  preserve?: string[];
  failOn: Severity;
  expected?: boolean;
  writesOnly?: boolean;
  device?: string;
  bpftrace: string;
  probe: string;
  bootTrace: boolean;
  preflight: boolean;
  stopWait: number;
  listen?: string;
  /** The old spelling of --listen (renamed-option.ts). */
  serve?: string;
  token?: string;
  serveRing?: number;
  allowOrigin?: string[];
  maxClients?: number;
}

/** --stop-wait: a day is more than any END output takes; past 2^31-1 ms the kill timer fired at once. */
const parseSeconds = numberIn({ code: 'CAPTURE_BAD_STOP_WAIT', min: 0, max: 86_400, what: 'seconds' });

function parseCount(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('a whole number above 0');
  return n;
}

/** The probe's positional parameters (probes/cfgscope.bt): `$1` writes only, `$2..$4` one function. */
export function probeArgs(writesOnly: boolean, device: string | undefined): string[] {
  if (!device) return writesOnly ? ['1'] : [];
  const b = parseBdf(device);
  if (!b) throw new InvalidArgumentError('a PCI address like 0000:3b:00.0');
  return [writesOnly ? '1' : '0', String(b.seg), String(b.bus), String(b.devfn)];
}

/** A live capture is NDJSON (serve follows it as it grows, any tool reads it): a `.cfgcap` name
 *  would promise the packed encoding. */
function parseCaptureOutput(v: string): string {
  if (v.endsWith('.cfgcap')) throw new InvalidArgumentError('capture writes NDJSON as events arrive; write it to a .ndjson file and pack it afterwards: cfgscope import <capture> -o <file>.cfgcap');
  return v;
}

export function captureCommand(program: Command, io: CliIo, result: CliResult): void {
  addHandoverOptions(addPublishOptions(program.command('capture')))
    .description('trace this machine\'s PCI config accesses live with bpftrace (root), write a capture and report violations as they happen')
    .option('-o, --output <capture>', 'capture file to write as events arrive (NDJSON; pack it afterwards with import -o x.cfgcap); required unless --arm-handover', parseCaptureOutput)
    .option('-p, --policy <file|builtin>', 'judge writes live against this policy (repeatable; luo-default when only --preserve is given)', repeatable)
    .option('--preserve <bdf>', 'mark this device preserved (repeatable)', parseBdfArg)
    .option('--fail-on <severity>', 'exit 1 when a violation at or above this severity was seen', parseSeverity, 'error')
    .option('--expected', 'also print writes the policy expects')
    .option('--writes-only', 'trace writes only (filtered in the kernel: lower overhead on busy machines)')
    .option('--device <bdf>', 'trace one PCI function only (filtered in the kernel)')
    .option('--bpftrace <path>', 'bpftrace executable', 'bpftrace')
    .option('--probe <file>', 'probe script (output format: docs/bpftrace-output.md)', BUNDLED_PROBE)
    .option('--no-boot-trace', 'do not read the boot-time ftrace buffer first, even when boot-args set it up')
    .option('--no-preflight', 'skip the root and kernel checks: for a --bpftrace that replays recorded probe output (tests, demos on hosts without kprobes)')
    .option('--listen <host:port>', 'also stream events and violations live to websocket clients and the web page there, as serve --listen does (docs/protocol.md); non-loopback needs --token')
    .addOption(renamedOption('capture', '--serve <host:port>', '--listen'))
    .option('--token <T>', 'token --listen clients must present (default: $CFGSCOPE_TOKEN)')
    .option('--serve-ring <events>', 'recent events --listen keeps in memory for resuming clients (older ones are re-read from the capture file)', parseCount, 10_000)
    .option('--allow-origin <origin>', '--listen: also accept this web origin (repeatable; docs/security.md)', repeatable)
    .option('--max-clients <N>', '--listen: websocket clients served at once, 1 to 100000 (default 64)', parseMaxClients)
    .option('--stop-wait <seconds>', 'after Ctrl-C/SIGTERM, how long to wait for bpftrace\'s END output before killing it', parseSeconds, 30)
    .action(async (opts: CaptureOptions, cmd: Command) => {
      if (opts.armHandover) return runArmHandover(opts, cmd, io);
      if (opts.output === undefined) throw new UsageError('CAPTURE_NO_OUTPUT', 'capture needs -o <capture>, the file it writes (or --arm-handover, which writes none)');
      const output = opts.output;
      // The capture is written to its own name as events arrive, so it must not be a file the run reads.
      refuseOutputIsInput(output, [opts.probe, opts.bpftrace, ...(opts.policy ?? [])]);
      const args = probeArgs(opts.writesOnly ?? false, opts.device);
      const policySpecs = opts.policy ?? (opts.preserve ? ['luo-default'] : []);
      // Served streams always go through the policy stage (an empty policy judges nothing), as `serve` does.
      const say = (line: string): void => io.stderr(`cfgscope capture: ${line}\n`);
      const address = renamedValue('capture', { '--serve': opts.serve }, '--listen', opts.listen, say);
      const policy = policySpecs.length > 0 || address !== undefined ? await policyForRun(policySpecs, opts.preserve ?? [], io, 'nothing was captured') : null;
      const listen = address !== undefined ? parseListen(address) : null;
      const pre = opts.preflight ? preflight({ bpftrace: opts.bpftrace }) : null;
      say(`${pre ? `bpftrace ${pre.bpftraceVersion}, tracefs at ${pre.tracefs}` : 'preflight skipped (--no-preflight)'}, `
        + `running ${opts.bpftrace} ${opts.probe}${args.length ? ` ${args.join(' ')}` : ''}`);
      // --tracefs names it (also with --no-preflight: a saved tracefs, tests); else the preflight found it.
      const tracefs = opts.tracefs !== undefined ? findTracefs(opts.tracefs) : pre?.tracefs ?? null;
      const handover = handoverToRead(opts, tracefs);
      say(handover.reason);
      const boot = opts.bootTrace && tracefs ? probeBootTrace(tracefs) : { present: false, reason: 'boot trace not read' };
      say(boot.reason);
      const server = listen && policy
        ? await serveLiveCapture({
          listen, token: opts.token ?? process.env['CFGSCOPE_TOKEN'] ?? null, output: output, policy, ringSize: opts.serveRing ?? 10_000,
          allowedOrigins: opts.allowOrigin ?? [], ...(opts.maxClients !== undefined ? { maxClients: opts.maxClients } : {}),
          onInternalError: (e) => say(`serve: internal error (one request or client refused, still serving): ${e instanceof Error ? e.message : String(e)}`.replace(/[\x00-\x1f\x7f]+/g, ' ')),
        })
        : null;
      if (server) say(`serving on ${server.url}/ (websocket ${server.url.replace(/^http/, 'ws')}/ws)`);
      const publisher = openPublisher(opts);
      const live = new LiveFindingsSink(io.stdout, opts.expected ?? false);
      const failAt = SEVERITIES.indexOf(opts.failOn);
      let failing = 0;
      const onEvent = (e: PipelineEvent | CheckEvent): void => {
        if ((e.kind === 'finding' || e.kind === 'target') && e.verdict === 'violation' && SEVERITIES.indexOf(e.rule.severity) >= failAt) failing++;
        live.handle(e as CheckEvent);
        server?.push(e as ServedEvent);
        publisher?.finding(e as CheckEvent);
      };
      let r: Awaited<ReturnType<typeof runCapture>>;
      let captured = false;
      try {
        r = await runCapture({
          bpftrace: { command: opts.bpftrace, args: [opts.probe, ...args], label: 'bpftrace:stdout' },
          output, bootTrace: boot.present ? tracefs : null, handover: handover.dir, policy, keepAccesses: server !== null,
          stopWaitMs: opts.stopWait * 1000, onEvent, say,
          ...(publisher ? { onRecord: (rec: CaptureRecord) => publisher.record(rec) } : {}),
        });
        if (server && !r.complete) server.push({ kind: 'error', code: 'CAPTURE_TRACER_DIED', message: `bpftrace ended without its END output; ${output} is incomplete` });
        captured = true;
      } finally {
        // Clients get the last events (end, totals, or the error) before the server closes.
        if (server) await server.finish();
        // A capture that failed says a refusal of the NATS credentials without raising it.
        if (!captured) await finishPublishing(publisher, io, undefined, false);
      }
      const c = r.counts;
      say(`${output}: ${c.accesses} accesses (${c.reads} reads, ${c.writes} writes), ${c.stacks} stacks, ${c.phases} phases, `
        + `${c.lostEvents} lost events, ${c.nestedMerged} nested hits, ${c.skipped} lines skipped; trailer complete: ${r.complete}`);
      // Events (accesses and nested hits) bpftrace printed, and how fast they went through: under
      // a flood this is cfgscope's own rate, the number to compare with bpftrace's lost events.
      const events = r.reconciliation.printed;
      if (r.tracerMs > 0) say(`bpftrace's output: ${events} events (${r.tracerRecords} records) taken in ${(r.tracerMs / 1000).toFixed(2)} s from the first to the last, ${Math.round(events / (r.tracerMs / 1000))} events/s`);
      const rec = r.reconciliation;
      if (rec.status === 'balanced') say(`probe counts reconcile: ${rec.printed} printed + ${rec.lost} lost = ${rec.counted} counted in the kernel`);
      else if (rec.status === 'no-counts') say('no @count map from bpftrace (it did not run END): losses cannot be reconciled');
      else say(`probe counts do NOT reconcile (${rec.status}): ${rec.printed} printed + ${rec.lost} lost vs ${rec.counted} counted; ${rec.differences.map((d) => `${d.key}: ${d.printed} printed, ${d.counted} counted`).join('; ')}`);
      if (policy) say(`${live.violations} violation(s)`);
      // After the capture's summary, so that it is said whatever the server answers (FLEET_AUTH throws).
      await finishPublishing(publisher, io);
      if (!r.complete) {
        const x = r.exit;
        const how = !x ? 'did not start' : x.killed ? `did not end within ${opts.stopWait} s of SIGINT and was killed`
          : `exited (${x.signal ? `signal ${x.signal}` : `code ${x.code}`}) ${x.sawEnd ? '' : 'before printing its END output'}`;
        say(`CAPTURE_TRACER_DIED: bpftrace ${how}; ${output} is closed with an incomplete trailer (cfgscope check reads it)`);
        result.code = EXIT_DATA;
        return;
      }
      if (failing > 0) {
        say(`${failing} violation(s) at or above ${opts.failOn}`);
        result.code = 1;
      }
    });
}
