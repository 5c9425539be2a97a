// `cfgscope watch ws://host:port [--token T] [--violations-only] [--device bdf] [--until-end]`:
// follows a `cfgscope serve` or `capture --listen` stream. A live view on a terminal, plain lines
// otherwise; survives server restarts (reconnects, resumes from the last seq it saw). Exits 65 with
// a code when the URL or the token is refused, 0 on Ctrl-C or (with --until-end) at the stream's end.

import type { Command } from 'commander';
import { openPciIds } from '../identity/pci-ids.js';
import { PlainOutput } from '../watch/plain-output.js';
import { TtyView } from '../watch/tty-view.js';
import type { WatchClient } from '../watch/watch-client.js';
import { WatchState } from '../watch/watch-state.js';
import { watchUrl } from '../watch/watch-url.js';
import { onInterrupt } from './interrupt.js';
import type { CliIo, CliResult } from './cli-types.js';
import { parseBdfArg } from './policy-options.js';
import { BOOT_HELP, parseBootArg } from './boot-option.js';
import { BootFilter } from '../watch/boot-filter.js';
import type { BootSelector } from '../model/boot-selection.js';

/** Skipped server messages said one by one before the count alone goes on. */
const INVALID_SHOWN = 5;
/** Distinct reasons listed in the closing count. */
const REASONS_SHOWN = 10;

/** Server messages skipped as not the documented format, by reason. */
class InvalidTally {
  private readonly byProblem = new Map<string, number>();
  private total = 0;

  /** Counts one; returns how many have been counted so far. */
  add(problem: string): number {
    // The reason names a type and a field path: few distinct ones, whatever the server sends.
    if (this.byProblem.size < 100 || this.byProblem.has(problem)) this.byProblem.set(problem, (this.byProblem.get(problem) ?? 0) + 1);
    return ++this.total;
  }

  summary(): string | null {
    if (this.total === 0) return null;
    const all = [...this.byProblem].sort((a, b) => b[1] - a[1]);
    const top = all.slice(0, REASONS_SHOWN).map(([p, n]) => `${n} x ${p}`);
    if (all.length > REASONS_SHOWN) top.push(`${all.length - REASONS_SHOWN} other reasons`);
    return `${this.total} server message(s) skipped as not the documented format: ${top.join('; ')}`;
  }
}

interface WatchOptions {
  token?: string;
  violationsOnly?: boolean;
  device?: string;
  untilEnd?: boolean;
  boot?: BootSelector;
}

export function watchCommand(program: Command, io: CliIo, _result: CliResult): void {
  program.command('watch')
    .description('follow a cfgscope serve stream live: violations, counts per device, lost events')
    .argument('<url>', 'the server\'s websocket, ws://host:port (cfgscope serve prints it)')
    .option('--token <T>', 'token the server requires (default: $CFGSCOPE_TOKEN)')
    .option('--violations-only', 'only violations (the server filters)')
    .option('--device <bdf>', 'only this device, e.g. 0000:02:00.0 (the server filters)', (v: string) => parseBdfArg(v)[0]!)
    .option('--until-end', 'exit when the stream ends instead of waiting for more')
    .option('--boot <N|handover>', `${BOOT_HELP} (this client filters)`, parseBootArg)
    .action(async (arg: string, opts: WatchOptions) => {
      const url = watchUrl(arg);
      const state = new WatchState();
      const boots = new BootFilter(opts.boot ?? null);
      const violationsOnly = opts.violationsOnly ?? false;
      const names = openPciIds();
      const tty = process.stdout.isTTY ? new TtyView(process.stdout, state, url, names) : null;
      const plain = tty ? null : new PlainOutput(io.stdout, violationsOnly, names);
      const invalid = new InvalidTally();
      // ws is loaded by the command that needs it, not at every command's start-up.
      const { WatchClient: Client } = await import('../watch/watch-client.js');
      const client: WatchClient = new Client(
        { url, token: opts.token ?? process.env['CFGSCOPE_TOKEN'] ?? null, violationsOnly, bdf: opts.device ?? null },
        {
          hello(m, resumeFrom, newStream) {
            if (newStream) state.reset();
            state.hello = m;
            state.connection = 'connected';
            plain?.hello(m, url, resumeFrom, newStream);
            tty?.dirty();
          },
          event(m) {
            if (!boots.keeps(m)) return; // boot: --boot, client side
            state.apply(m);
            plain?.event(m, state);
            tty?.dirty();
            if (opts.untilEnd && (m.type === 'end' || m.type === 'error')) client.stop();
          },
          invalid(problem) {
            // Counted, the first few said as they come, the count again at the end.
            if (invalid.add(problem) > INVALID_SHOWN) return;
            const text = `skipped a server message that is not the documented format: ${problem}`;
            plain?.notice(text);
            tty?.notice(text);
            if (!plain) io.stderr(`cfgscope watch: ${text}\n`);
          },
          notice(kind, text) {
            if (kind === 'live') { state.connection = 'live'; tty?.dirty(); return; }
            if (kind === 'reconnecting') state.connection = 'reconnecting';
            plain?.notice(text);
            tty?.notice(text);
          },
        },
      );
      const interrupt = onInterrupt();
      const sub = interrupt.signal$.subscribe(() => client.stop());
      try {
        await client.run();
      } finally {
        sub.unsubscribe();
        tty?.close();
        if (plain && state.hello && !state.ended) plain.summary(state);
        const said = invalid.summary();
        if (said) {
          plain?.notice(said);
          io.stderr(`cfgscope watch: ${said}\n`);
        }
      }
    });
}
