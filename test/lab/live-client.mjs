// Host side of the live lab (run-live.sh): connects to the guest's relay through QEMU's hostfwd
// (retrying until the guest listens), pings it every second, and logs every line it receives with
// the host's CLOCK_MONOTONIC receipt time: `<host ns> <guest ns> <line>`. Ends when the relay closes.
//   node live-client.mjs <host port> <log file>
import { connect } from 'node:net';
import { appendFileSync, writeFileSync } from 'node:fs';

const [port, log] = process.argv.slice(2);
writeFileSync(log, '');
const now = () => process.hrtime.bigint();
const tryConnect = () => {
  const sock = connect(Number(port), '127.0.0.1');
  let got = false;
  let buf = '';
  let pinger = null;
  sock.setNoDelay(true);
  sock.on('connect', () => { pinger = setInterval(() => sock.write(`ping ${now()}\n`), 1000); });
  sock.on('data', (d) => {
    const at = now();
    got = true;
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const l = buf.slice(0, nl); buf = buf.slice(nl + 1);
      appendFileSync(log, `${at} ${l}\n`);
      if (l.includes('relay: cfgscope exited')) { clearInterval(pinger); sock.end(); process.exit(0); }
    }
  });
  const retry = () => { clearInterval(pinger); if (!got) setTimeout(tryConnect, 1000); else process.exit(0); };
  sock.on('error', () => {});
  sock.on('close', retry);
};
tryConnect();
