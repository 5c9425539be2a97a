// Every example in every command's --help is a command that works: each is read from the help
// the real CLI prints and run by the built CLI (in a scratch folder holding the package's
// replays/), and its exit status checked. Examples that need more than the package run with a
// stand-in where there is one: capture's with the recorded-bpftrace stand-in instead of root and
// bpftrace (as test/cli/capture.test.ts does), watch's against a real serve on a free port; serve's
// and capture's, which run until Ctrl-C, get SIGINT once they say they are ready.
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/main.js';
import { commandPath, HELP_EXAMPLES, type HelpExample } from '../../src/cli/help-examples.js';
import { runCli } from './run-cli.js';
import { armableTracefs } from '../support/handover-fixture.js';
import { kill, startServe, type ServeProcess } from '../support/serve-process.js';
import { NATS_SERVER, startSingle, type NatsSetup } from '../support/nats-servers.mjs';

const root = new URL('../../', import.meta.url).pathname;
const bin = `${root}bin/cfgscope.js`;
const STAND_IN = ['--no-preflight', '--bpftrace', `${root}test/support/recorded-bpftrace.mjs`, '--probe', `${root}test/fixtures/bpftrace/probe-phases.txt`];
const READY_MS = 60_000;

const program = buildProgram({ stdout: () => {}, stderr: () => {} }, { code: 0 });
const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
const paths = all(program).map(commandPath);

/** The example command lines (after `cfgscope`) a command's --help shows. */
async function shown(path: string): Promise<string[]> {
  const r = await runCli(...(path ? path.split(' ') : []), '--help');
  expect(r.code).toBe(0);
  return [...r.stdout.matchAll(/^ {2}\$ (?:sudo )?cfgscope (.+)$/gm)].map((m) => m[1]!);
}

/** A scratch folder with the package's replays/: outputs (-o) land there, not in the repository. */
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cfgscope-examples-'));
  symlinkSync(`${root}replays`, join(dir, 'replays'));
  return dir;
}

/**
 * Runs a command that goes on until Ctrl-C in a scratch folder: SIGINT once `ready` says so (its
 * stderr so far, the folder), polled every 50 ms for at most READY_MS.
 */
async function untilStopped(args: string[], ready: (stderr: string, dir: string) => boolean): Promise<{ code: number | null; stderr: string }> {
  const dir = scratch();
  const child = spawn(process.execPath, [bin, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exit = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  let seen = false;
  for (const deadline = Date.now() + READY_MS; !seen && child.exitCode === null && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 50));
    seen = ready(stderr, dir);
  }
  if (child.exitCode === null) child.kill('SIGINT');
  const code = await exit;
  if (!seen) throw new Error(`not ready within ${READY_MS} ms, or exited first (${code}): ${stderr}`);
  return { code, stderr };
}

/** A live capture is ready to stop once its file holds the header and a first access. */
const captureStarted = (file: string) => (_: string, dir: string): boolean => {
  try {
    return /"t":"access"/.test(readFileSync(join(dir, file), 'utf8'));
  } catch {
    return false;
  }
};

describe('--help examples', () => {
  it('every command has examples, and its help shows exactly them', async () => {
    expect(paths).toEqual(expect.arrayContaining(['', 'import', 'replay', 'check', 'report', 'diff', 'crosscheck', 'policy', 'policy lint', 'boot-args', 'capture', 'serve', 'watch', 'fleet']));
    for (const p of paths) {
      const examples = HELP_EXAMPLES[p] ?? [];
      expect({ command: p, count: examples.length > 0 }).toEqual({ command: p, count: true });
      expect(await shown(p)).toEqual(examples.map((e) => e.args));
    }
    expect(Object.keys(HELP_EXAMPLES).filter((k) => !paths.includes(k))).toEqual([]);
  });

  let server: ServeProcess | null = null;
  // A real nats-server for the --publish and fleet examples (test/install-deps.sh installs it).
  let nats: NatsSetup | null = null;
  beforeAll(async () => {
    server = await startServe(0, ['--fast']);
    if (existsSync(NATS_SERVER)) nats = await startSingle();
  }, READY_MS);
  afterAll(async () => {
    if (server) await kill(server, 'SIGINT');
    await nats?.stop();
  });

  const cases = Object.entries(HELP_EXAMPLES).flatMap(([path, es]) => es.map((e) => ({ path, e })));
  it.for(cases)('cfgscope $e.args', { timeout: 150_000 }, async ({ e }: { path: string; e: HelpExample }, ctx: TestContext) => {
    expect(e.args).not.toMatch(/["'\\$`]/); // split on spaces below, as a shell would split them
    const args = e.args.split(' ');
    if (e.needs === 'kernel-btf' && !existsSync('/sys/kernel/btf/vmlinux')) ctx.skip('this machine\'s kernel has no /sys/kernel/btf/vmlinux (CONFIG_DEBUG_INFO_BTF)');
    if (e.needs === 'root') {
      // A fixed port may be taken on a test machine.
      const listen = args.indexOf('--listen');
      if (listen >= 0) args[listen + 1] = '127.0.0.1:0';
      // The recorded stand-in prints a real probe's output, then waits for SIGINT as bpftrace does.
      const r = await untilStopped([...args, ...STAND_IN], captureStarted(args[args.indexOf('-o') + 1]!));
      expect(r.stderr).toContain('trailer complete: true');
      // The stand-in's recording is not this machine: found or not, never an error.
      expect([0, 1]).toContain(r.code);
      return;
    }
    if (e.needs === 'handover') {
      // A folder laid out as a 6.12 tracefs with the persistent instance (this host has none).
      const r = spawnSync(process.execPath, [bin, ...args, '--tracefs', armableTracefs()], { encoding: 'utf8', timeout: 120_000 });
      expect([r.status, r.stderr]).toEqual([e.exit, expect.stringContaining('armed ')]);
      return;
    }
    if (e.untilStopped) {
      if (e.needs === 'nats' && nats === null) ctx.skip(`no ${NATS_SERVER} (test/install-deps.sh installs nats-server)`);
      if (e.needs === 'nats') args.forEach((a, i) => { args[i] = a.replace('nats://127.0.0.1:4222', nats!.urls); });
      // A fixed port may be taken on a test machine: the example's own or the default, made free.
      const listen = args.indexOf('--listen');
      if (listen >= 0) args[listen + 1] = '127.0.0.1:0';
      else args.push('--listen', '127.0.0.1:0');
      const r = await untilStopped(args, (stderr) => /listening on http:\/\/127\.0\.0\.1:\d+\//.test(stderr));
      expect(r.code).toBe(e.exit);
      return;
    }
    if (e.needs === 'nats' && nats === null) ctx.skip(`no ${NATS_SERVER} (test/install-deps.sh installs nats-server)`);
    const run = e.needs === 'server' ? args.map((a) => a.replace('ws://127.0.0.1:7878', server!.http.replace(/^http/, 'ws')))
      : e.needs === 'nats' ? args.map((a) => a.replace('nats://127.0.0.1:4222', nats!.urls)) : args;
    const dir = scratch();
    const r = spawnSync(process.execPath, [bin, ...run], { cwd: dir, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 });
    expect(r.stderr).not.toContain('INTERNAL');
    expect({ args: e.args, status: r.status }).toEqual({ args: e.args, status: e.exit });
    const output = args.indexOf('-o');
    if (output >= 0) expect(existsSync(join(dir, args[output + 1]!))).toBe(true);
    else expect(r.stdout).not.toBe('');
  });
});
