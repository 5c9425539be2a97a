#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ and bundled into dist/bundle/cfgscope.mjs by
// `npm install` (prepare) or `npm run build` (bin/build-bundle.mjs).
import { main } from '../dist/bundle/cfgscope.mjs';

main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => {
    // `cfgscope replay | head`: the reader went away; that is not an error of ours.
    if (err && err.code === 'EPIPE') return;
    process.stderr.write(`cfgscope: ${err && err.stack ? err.stack : String(err)}\n`);
    process.exitCode = 70;
  },
);
