#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ and bundled into dist/bundle/cfgscope.mjs by
// `npm install` (prepare) or `npm run build` (bin/build-bundle.mjs).
import { describeFatal, describeStdioFatal, isBrokenPipe, main } from '../dist/bundle/cfgscope.mjs';

// An error raised outside main()'s promise chain (a stream's 'error' event nobody listens to, a
// callback of a timer or child process, a rejected promise nobody awaits) is reported like one
// inside it: a code and one line, exit 70 for a bug, never a bare stack trace. The process state is
// unknown after such an error, so it exits now (an output's temporary file is removed on exit).
const fatal = (err) => {
  // `cfgscope replay | head`: the reader went away; that is not an error of ours.
  if (isBrokenPipe(err)) process.exit(process.exitCode ?? 0);
  const f = describeFatal(err);
  process.stderr.write(f.message);
  process.exit(f.code);
};
process.on('uncaughtException', fatal);
// Standard output's own write errors (`> /dev/full`) arrive as its 'error' event: an output error.
process.stdout.on('error', (err) => {
  if (isBrokenPipe(err)) process.exit(process.exitCode ?? 0);
  const f = describeStdioFatal(err, 'standard output');
  process.stderr.write(f.message);
  process.exit(f.code);
});
process.on('unhandledRejection', fatal);

main(process.argv).then((code) => { process.exitCode = code; }, fatal);
