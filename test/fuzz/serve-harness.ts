// A real `cfgscope serve` process for hostile clients, and the healthy client that must still be
// served after each of them: GET / answers 200, and a websocket gets `hello` and `subscribed`.
// When a case kills the server, the next case starts a new one (the death is that case's failure).
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import WebSocket from 'ws';
import { BIN, peakRssOf, ROOT } from './cli-process.js';
import { crashLine, type Problem } from './invariants.js';

export const SERVE_CAPTURE = join(ROOT, 'replays/qemu-6.1-q35-basic/kernel.capture.ndjson');
export const SERVE_RSS_LIMIT_KB = 512 * 1024;
const START_TIMEOUT_MS = 30_000;
const HEALTH_TIMEOUT_MS = 10_000;

export class ServeProcess {
  child: ChildProcess | null = null;
  port = 0;
  stderr = '';
  exited: { code: number | null; signal: string | null } | null = null;

  constructor(readonly token: string | null) {}

  get pid(): number { return this.child?.pid ?? 0; }

  async start(): Promise<void> {
    this.stderr = '';
    this.exited = null;
    const args = [BIN, 'serve', SERVE_CAPTURE, '--policy', 'luo-default', '--preserve', '0000:02:00.0', '--listen', '127.0.0.1:0', '--fast'];
    if (this.token) args.push('--token', this.token);
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    child.on('exit', (code, signal) => { this.exited = { code, signal }; });
    this.port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not listen: ${this.stderr}`)), START_TIMEOUT_MS);
      child.stderr!.on('data', (d: Buffer) => {
        this.stderr += d.toString();
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(this.stderr);
        if (m) { clearTimeout(timer); resolve(Number(m[1])); }
      });
      child.on('exit', () => { clearTimeout(timer); reject(new Error(`serve exited at start: ${this.stderr}`)); });
    });
  }

  /**
   * Starts a new server when the last one died or stopped answering (reported by the case that
   * caused it), so that one crash is not blamed on every later case.
   */
  async ensure(): Promise<void> {
    if (this.child && !this.exited && (await healthy(this)) === null) return;
    if (this.child && !this.exited) {
      const c = this.child;
      const gone = new Promise((r) => c.on('exit', r));
      c.kill('SIGKILL');
      await gone;
    }
    await this.start();
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (c && !this.exited) {
      const gone = new Promise((r) => c.on('exit', r));
      c.kill('SIGTERM');
      await gone;
    }
  }

  wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/ws${this.token ? `?token=${this.token}` : ''}`;
  }

  /** The problems of the server after a hostile case: dead, crashed, unhealthy, too big. */
  async problems(what: string, stderrFrom: number): Promise<Problem[]> {
    const problems: Problem[] = [];
    const peak = peakRssOf(this.pid);
    if (!this.exited) {
      const health = await healthy(this);
      if (health) problems.push({ kind: 'serve-unhealthy', detail: `after ${what}: ${health}` });
    }
    if (this.exited) problems.push({ kind: 'serve-died', detail: `after ${what}: exit ${this.exited.code ?? this.exited.signal}` });
    const crash = crashLine(this.stderr.slice(stderrFrom));
    if (crash) problems.push({ kind: 'stack-trace', detail: `serve stderr after ${what}: ${crash}` });
    if (peak > SERVE_RSS_LIMIT_KB) problems.push({ kind: 'memory', detail: `serve peak RSS ${Math.round(peak / 1024)} MiB after ${what}` });
    return problems;
  }
}

/** null when the server serves a healthy client; what went wrong otherwise. */
export async function healthy(s: ServeProcess): Promise<string | null> {
  const page = await new Promise<string | null>((resolve) => {
    const req = request({ host: '127.0.0.1', port: s.port, path: s.token ? `/?token=${s.token}` : '/', timeout: HEALTH_TIMEOUT_MS }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200 ? null : `GET / answered ${res.statusCode}`));
    });
    req.on('timeout', () => { req.destroy(); resolve('GET / got no answer'); });
    req.on('error', (e) => resolve(`GET / failed: ${e.message}`));
    req.end();
  });
  if (page) return page;
  return new Promise<string | null>((resolve) => {
    const ws = new WebSocket(s.wsUrl());
    const done = (r: string | null): void => { clearTimeout(timer); ws.terminate(); resolve(r); };
    const timer = setTimeout(() => done('websocket: no hello and subscribed in time'), HEALTH_TIMEOUT_MS);
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as { type: string };
      if (m.type === 'hello') ws.send(JSON.stringify({ type: 'subscribe', kinds: ['end'] }));
      if (m.type === 'subscribed') done(null);
    });
    ws.on('error', (e) => done(`websocket: ${e.message}`));
    ws.on('close', (code) => done(`websocket closed with ${code} before subscribed`));
  });
}
