// What the server is sent, byte for byte, where fetch and ws would refuse to send it or would fix it
// up: raw HTTP requests over a TCP socket, a websocket opened by hand, masked client frames; and a
// real `cfgscope serve` process to send them to.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { root } from './capture-server.js';

/**
 * Sends `text` and resolves with everything the server answers until it closes the connection, or
 * (`stopAt`) until the answer so far is enough (a websocket that opened stays open).
 */
export function rawRequest(port: number, text: string, opts: { stopAt?: (answer: string) => boolean } = {}): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => s.write(text));
    let out = '';
    s.on('data', (d) => {
      out += d.toString('latin1');
      if (opts.stopAt?.(out)) s.destroy();
    });
    s.on('error', () => undefined);
    s.on('close', () => resolve(out));
  });
}

/** The status code of an HTTP response text (0 when there is none: the connection was dropped). */
export const statusOf = (response: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);

export function upgradeRequest(path: string, headers: Record<string, string> = {}): string {
  const h = { Host: '127.0.0.1', Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': randomBytes(16).toString('base64'), 'Sec-WebSocket-Version': '13', ...headers };
  return `GET ${path} HTTP/1.1\r\n${Object.entries(h).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
}

/** A masked client text frame (RFC 6455 5.2), whole. */
export function clientFrame(text: string | Buffer): Buffer {
  const payload = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x81, 0x80 | n])
    : n < 65536 ? Buffer.from([0x81, 0x80 | 126, n >> 8, n & 0xff])
      : Buffer.concat([Buffer.from([0x81, 0x80 | 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(n)); return b; })()]);
  const mask = randomBytes(4);
  const body = Buffer.alloc(n);
  for (let i = 0; i < n; i++) body[i] = payload[i]! ^ mask[i & 3]!;
  return Buffer.concat([head, mask, body]);
}

/** A websocket opened by hand that never reads what the server sends (the socket stays paused). */
export function deafClient(port: number): Promise<Socket> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => {
      s.write(upgradeRequest('/ws'));
      s.pause();
      resolve(s);
    });
    s.on('error', () => undefined);
  });
}

export interface ServeProcess { child: ChildProcess; url: string; port: number; stderr: () => string; exit: Promise<number | null>; replayed: Promise<void> }

/** `cfgscope serve <capture> --fast --listen 127.0.0.1:0 ...args`, once it listens. */
export async function startServe(capture: string, ...args: string[]): Promise<ServeProcess> {
  const child = spawn(process.execPath, [`${root}bin/cfgscope.js`, 'serve', capture, '--fast', '--listen', '127.0.0.1:0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exit = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  let replayedNow: () => void = () => undefined;
  const replayed = new Promise<void>((r) => { replayedNow = r; });
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /listening on (http:\/\/[^/\s]+)\//.exec(stderr);
      if (m) resolve(m[1]!);
      if (/ replayed, \d+ events/.test(stderr)) replayedNow();
    });
    void exit.then(() => reject(new Error(`serve exited: ${stderr}`)));
  });
  return { child, url, port: Number(new URL(url).port), stderr: () => stderr, exit, replayed };
}

/** Peak and current resident set of a process, in bytes (/proc/<pid>/status: VmHWM, VmRSS). */
export function memoryOf(pid: number): { peak: number; now: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024;
  return { peak: kb('VmHWM'), now: kb('VmRSS') };
}
