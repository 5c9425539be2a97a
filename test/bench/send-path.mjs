// The send path's row: what hand-built websocket frames written beside ws (what the server did up
// to 2a10129: src/server/text-frames.ts, removed since) would buy over ws's public send, which the
// server uses now. One process, one ws server, one client that reads and discards (a raw socket,
// no parsing, the same bytes either way); N event messages of a served access's size sent in
// batches of B (270: one 64 KiB chunk of a capture) by either path:
//   frames: the batch framed once into one Buffer, a view per frame, runs of adjacent frames
//           joined and written as one slice (the removed text-frames.ts and client-session.ts);
//   ws.send: the batch serialised into one Buffer, each message's view through ws.send, the
//           socket corked per batch (one writev; src/server/client-sender.ts).
// CPU time of the process per event (serialising, sending, the client's reads), and events/s.
//   node test/bench/send-path.mjs [--runs N]      (after `npm run build`)
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';

/** The removed text-frames.ts: one Buffer of unmasked FIN text frames, a view per frame. */
function textFrames(texts) {
  const sizes = texts.map((t) => Buffer.byteLength(t));
  const header = (n) => (n < 126 ? 2 : n < 65536 ? 4 : 10);
  const buf = Buffer.allocUnsafe(sizes.reduce((s, n) => s + header(n) + n, 0));
  const frames = [];
  let at = 0;
  texts.forEach((t, i) => {
    const start = at;
    const n = sizes[i];
    buf[at] = 0x81;
    if (n < 126) { buf[at + 1] = n; at += 2; } else if (n < 65536) { buf[at + 1] = 126; buf.writeUInt16BE(n, at + 2); at += 4; } else { buf[at + 1] = 127; buf.writeBigUInt64BE(BigInt(n), at + 2); at += 10; }
    at += buf.write(t, at, 'utf8');
    frames.push(buf.subarray(start, at));
  });
  return frames;
}

/** The removed client-session.ts queue: adjacent frames joined into runs, written in one writev. */
function writeFrames(socket, frames, done) {
  const runs = [];
  for (const f of frames) {
    const run = runs[runs.length - 1];
    if (run && run.buffer === f.buffer && run.byteOffset + run.length === f.byteOffset) runs[runs.length - 1] = Buffer.from(run.buffer, run.byteOffset, run.length + f.length);
    else runs.push(f);
  }
  socket.cork();
  runs.forEach((r, i) => socket.write(r, i === runs.length - 1 ? done : undefined));
  socket.uncork();
}

const N = 400_000;
const BATCH = 270;
const TEXT = { binary: false };

/** A message the size of a served access with a 4-frame stack (about 330 bytes). */
const message = (i) => JSON.stringify({
  type: 'access', seq: i, index: i, ts: 1.5 + i / 1e5, phase: { index: 3, label: 'PHASE[3] nvme probe' }, bdf: '0000:02:00.0',
  op: 'w', off: 4, size: 2, register: 'COMMAND', mnemonic: null, old: 0x0402, new: 0x0406, oldStale: false, callSite: 'nvme_probe',
  stack: ['pci_write_config_word', 'pci_set_master', 'nvme_probe', 'local_pci_probe'], fn: 'pci_write_config_word', layer: 'driver',
  known: true, cpu: 1, pid: 77, comm: 'kworker/1:2', line: 1000 + i,
});

function sendBatch(path, ws, socket, texts, done) {
  if (path === 'frames') {
    writeFrames(socket, textFrames(texts), done);
  } else {
    // One Buffer for the batch, a view per message (as wire-message.ts serialises a batch).
    const all = Buffer.from(texts.join(''));
    let at = 0;
    const bytes = texts.map((t) => { const n = Buffer.byteLength(t); at += n; return all.subarray(at - n, at); });
    socket.cork();
    bytes.forEach((b, i) => ws.send(b, TEXT, i === bytes.length - 1 ? done : undefined));
    socket.uncork();
  }
}

/** One run of `path`: { nsPerEvent, eventsPerS }. */
export async function sendPathRun(path) {
  const http = createServer();
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const texts = Array.from({ length: BATCH }, (_, i) => message(i));
  await new Promise((r) => http.listen(0, '127.0.0.1', r));
  const result = new Promise((resolve) => {
    http.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      let sent = 0;
      const step = () => {
        if (sent >= N) {
          const drained = () => {
            if (ws.bufferedAmount > 0) { setImmediate(drained); return; }
            const u = process.cpuUsage(c0);
            resolve({ path, nsPerEvent: Math.round(((u.user + u.system) * 1000) / N), eventsPerS: Math.round(N / ((performance.now() - t0) / 1000)) });
          };
          drained();
          return;
        }
        sendBatch(path, ws, socket, texts, () => undefined);
        sent += BATCH;
        // Like the server's slow-client rule: wait while more than 1 MiB is unsent.
        if (ws.bufferedAmount > 1 << 20) setTimeout(step, 1); else setImmediate(step);
      };
      step();
    }));
  });
  const client = connect(http.address().port, '127.0.0.1', () => client.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
    + 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'));
  client.on('data', () => undefined);
  const r = await result;
  client.destroy();
  for (const ws of wss.clients) ws.terminate();
  await new Promise((res) => http.close(res));
  return r;
}

/** Both paths, alternated `runs` times: the medians, and ws.send's cost over the frames'. */
export async function sendPathRows(runs = 3) {
  const all = { frames: [], 'ws.send': [] };
  for (let i = 0; i < runs; i++) for (const p of Object.keys(all)) all[p].push(await sendPathRun(p));
  const med = (xs, k) => xs.map((x) => x[k]).sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const rows = Object.entries(all).map(([path, xs]) => ({ path, batch: BATCH, events: N, runs, nsPerEvent: med(xs, 'nsPerEvent'), eventsPerS: med(xs, 'eventsPerS') }));
  return { rows, wsSendCpuOverFrames: +(rows[1].nsPerEvent / rows[0].nsPerEvent).toFixed(2) };
}

export const describeSendPath = (r) => r.rows.map((x) => `send path ${x.path}, batches of ${x.batch}: ${x.nsPerEvent} ns cpu per event, ${x.eventsPerS} events/s`).join('\n')
  + `\nsend path: ws.send costs ${r.wsSendCpuOverFrames}x the CPU of hand-built frames per event`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--runs');
  console.log(describeSendPath(await sendPathRows(at > 0 ? Number(process.argv[at + 1]) : 3)));
}
