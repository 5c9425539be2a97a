// Guest side of the live lab (run-live.sh): runs `cfgscope capture` and serves what it prints, line
// by line, to one host client over TCP (QEMU user-net hostfwd), each line prefixed with the guest's
// CLOCK_MONOTONIC in ns at the moment the line left cfgscope (process.hrtime is CLOCK_MONOTONIC on
// Linux, the clock of bpftrace's `nsecs`, so in-guest latency = stamp - event ts, one clock).
// Also forwards `/init`'s progress lines (appended to a file), and answers `ping <x>` with
// `pong <x>` so the host can measure the link's round trip.
//   node live-relay.mjs <port> <progress file> <stdout copy> <pid file> -- <command> [args...]
// (the command is `node cfgscope.js capture ...`, or bpftrace alone to time bpftrace's own delivery)
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';

const [port, progress, copy, pidFile, sep, ...args] = process.argv.slice(2);
if (sep !== '--') throw new Error('usage: live-relay.mjs <port> <progress file> <copy> <pid file> -- <command> [args...]');
const now = () => process.hrtime.bigint().toString();
const pending = [];
let client = null;
// The copy goes to a local file (tmpfs): a synchronous write per line to a slow disk (the lab's 9p
// share) would hold up the next line's stamp.
const send = (line) => {
  const text = `${now()} ${line}\n`;
  appendFileSync(copy, text);
  if (client) client.write(text); else pending.push(text);
};

const server = createServer((sock) => {
  if (client) { sock.end(); return; }
  client = sock;
  sock.setNoDelay(true);
  for (const t of pending.splice(0)) sock.write(t);
  appendFileSync(copy, `${now()} relay: client connected\n`);
  let buf = '';
  sock.on('data', (d) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const l = buf.slice(0, nl); buf = buf.slice(nl + 1);
      if (l.startsWith('ping ')) sock.write(`${now()} pong ${l.slice(5)}\n`);
    }
  });
  sock.on('error', () => { client = null; });
});
server.listen(Number(port), '0.0.0.0');

// /init's progress lines, appended to a plain file and polled (a FIFO read blocks a libuv thread,
// and node's exit waits for it).
writeFileSync(progress, '');
let progressAt = 0;
let progressBuf = '';
const pollProgress = setInterval(() => {
  const size = statSync(progress).size;
  if (size <= progressAt) return;
  const b = Buffer.alloc(size - progressAt);
  const fd = openSync(progress, 'r');
  readSync(fd, b, 0, b.length, progressAt);
  closeSync(fd);
  progressAt = size;
  progressBuf += b.toString();
  let nl;
  while ((nl = progressBuf.indexOf('\n')) !== -1) { send(`init ${progressBuf.slice(0, nl)}`); progressBuf = progressBuf.slice(nl + 1); }
}, 50);

const child = spawn(args[0], args.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
writeFileSync(pidFile, String(child.pid));
let out = '';
child.stdout.setEncoding('utf8');
child.stdout.on('data', (d) => { out += d; let nl; while ((nl = out.indexOf('\n')) !== -1) { send(out.slice(0, nl)); out = out.slice(nl + 1); } });
child.on('exit', (code, signal) => {
  send(`relay: cfgscope exited code=${code} signal=${signal}`);
  clearInterval(pollProgress);
  setTimeout(() => process.exit(0), 500);
});
