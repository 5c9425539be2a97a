// `cfgscope watch ws://host:port [--token T] [--violations-only] [--device bdf] [--until-end]`:
// follows a `cfgscope serve` or `capture --serve` stream. A live view on a terminal, plain lines
// otherwise; survives server restarts (reconnects, resumes from the last seq it saw). Exits 65 with
// a code when the URL or the token is refused, 0 on Ctrl-C or (with --until-end) at the stream's end.

import type { Command } from 'commander';
import { PlainOutput } from '../watch/plain-output.js';
import { TtyView } from '../watch/tty-view.js';
import { WatchClient } from '../watch/watch-client.js';
import { WatchState } from '../watch/watch-state.js';
import { watchUrl } from '../watch/watch-url.js';
import { onInterrupt } from './interrupt.js';
import type { CliIo, CliResult } from './main.js';
import { parseBdfArg } from './policy-options.js';

interface WatchOptions {
  token?: string;
  violationsOnly?: boolean;
  device?: string;
  untilEnd?: boolean;
}

export function watchCommand(program: Command, io: CliIo, _result: CliResult): void {
  program.command('watch')
    .description('follow a cfgscope serve stream live: violations, counts per device, lost events')
    .argument('<url>', 'the server\'s websocket, ws://host:port (cfgscope serve prints it)')
    .option('--token <T>', 'token the server requires (default: $CFGSCOPE_TOKEN)')
    .option('--violations-only', 'only violations (the server filters)')
    .option('--device <bdf>', 'only this device, e.g. 0000:02:00.0 (the server filters)', (v: string) => parseBdfArg(v)[0]!)
    .option('--until-end', 'exit when the stream ends instead of waiting for more')
    .action(async (arg: string, opts: WatchOptions) => {
      const url = watchUrl(arg);
      const state = new WatchState();
      const violationsOnly = opts.violationsOnly ?? false;
      const tty = process.stdout.isTTY ? new TtyView(process.stdout, state, url) : null;
      const plain = tty ? null : new PlainOutput(io.stdout, violationsOnly);
      const client: WatchClient = new WatchClient(
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
            state.apply(m);
            plain?.event(m, state);
            tty?.dirty();
            if (opts.untilEnd && (m.type === 'end' || m.type === 'error')) client.stop();
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
      }
    });
}
