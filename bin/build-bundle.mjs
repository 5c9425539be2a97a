#!/usr/bin/env node
// Bundles the compiled CLI (dist/cli/main.js, from tsc) and its packages into one ES module,
// dist/bundle/cfgscope.mjs, which bin/cfgscope.js runs. Loading ~150 modules (rxjs alone is
// ~300 CommonJS files) took ~0.2 s of every command's start-up; one file takes a fraction of that,
// which counts when CI replays many small captures. Part of `npm run build` (and `prepare`).
// The bundle sits two folders below the package root like dist/<stage>/*.js, so the paths the
// code finds from import.meta.url (probes/, web/, replays/) are the same in both.

import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

// rxjs's package exports pick its CommonJS build for node: one index that evaluates all of rxjs
// (~300 modules' worth, about 0.05 s of every command's start-up). Its ES module build is the same
// code, marked free of side effects, so the bundle keeps only the operators cfgscope uses.
const rxjsDir = dirname(createRequire(`${root}package.json`).resolve('rxjs/package.json'));
const rxjsEsm = {
  name: 'rxjs-esm',
  setup(b) {
    b.onResolve({ filter: /^rxjs$/ }, () => ({ path: join(rxjsDir, 'dist/esm/index.js') }));
  },
};

await build({
  entryPoints: [`${root}dist/cli/main.js`],
  outfile: `${root}dist/bundle/cfgscope.mjs`,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // ws loads these optional native helpers when installed; it works without them. The NATS client
  // is loaded from node_modules by --publish and fleet only (0.5 MB no other command should parse).
  external: ['bufferutil', 'utf-8-validate', '@nats-io/*'],
  // CommonJS packages inside an ES module bundle still call require() for node's built-ins.
  banner: { js: "import { createRequire as cfgscopeRequire } from 'node:module'; const require = cfgscopeRequire(import.meta.url);" },
  plugins: [rxjsEsm],
  logLevel: 'warning',
});
