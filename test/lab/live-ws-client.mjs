// Host side of the live lab, websocket part: follows `capture --listen` in the guest through QEMU's
// hostfwd (docs/protocol.md: hello, subscribe from seq 1, events), retrying until the guest serves,
// and logs every message with the host's CLOCK_MONOTONIC receipt time: `<host ns> <json>`.
// Ends at the stream's `end` or `error` event. Uses the repository's `ws` package.
//   node live-ws-client.mjs <ws url with ?token=> <log file>
import { appendFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../package.json', import.meta.url));
const WebSocket = require('ws');
const [url, log] = process.argv.slice(2);
writeFileSync(log, '');
let last = 0;
const open = () => {
  const ws = new WebSocket(url);
  ws.on('message', (d) => {
    const at = process.hrtime.bigint();
    const text = d.toString();
    appendFileSync(log, `${at} ${text}\n`);
    const m = JSON.parse(text);
    // A reconnect resumes after the last event seen, so nothing is counted twice.
    if (m.type === 'hello') ws.send(JSON.stringify({ type: 'subscribe', from: last + 1 }));
    else if (typeof m.seq === 'number' && !['subscribed', 'caught-up', 'gap', 'heartbeat', 'pong'].includes(m.type)) last = m.seq;
    if (m.type === 'end' || m.type === 'error') { ws.close(); process.exit(0); }
  });
  ws.on('error', () => {});
  ws.on('close', () => setTimeout(open, 1000));
};
open();
