// Real nats-server processes for the fleet tests (test/fleet) and the bench (fleet-bench.mjs): loopback only, random free
// ports, JetStream stores in a temporary folder, every process killed by stop(). A single
// server, or a 3-node JetStream cluster (routes between the nodes, one meta group).

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NATS_SERVER = ['/usr/sbin/nats-server', '/usr/bin/nats-server'].find((p) => existsSync(p)) ?? 'nats-server';

/** @returns {Promise<number>} a loopback port nobody listens on (a moment ago) */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

function node(name, port, store, cluster, extra = []) {
  const n = {
    name, port, url: `nats://127.0.0.1:${port}`, proc: null, log: '',
    async start() {
      const args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store, '-n', name, ...extra];
      if (cluster) {
        args.push('--cluster_name', cluster.name, '-cluster', `nats://127.0.0.1:${cluster.port}`,
          '-routes', cluster.routes.map((p) => `nats://127.0.0.1:${p}`).join(','));
      }
      const p = spawn(NATS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      n.proc = p;
      n.log = '';
      await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name} not ready in 15 s:\n${n.log}`)), 15_000);
        const onData = (b) => {
          n.log += b.toString();
          if (n.log.includes('Server is ready')) { clearTimeout(timer); resolve(); }
        };
        p.stdout.on('data', onData);
        p.stderr.on('data', onData);
        p.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${name} exited ${code}:\n${n.log}`)); });
      });
    },
    async kill() {
      const p = n.proc;
      n.proc = null;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      await new Promise((resolve) => { p.once('exit', () => resolve()); p.kill('SIGKILL'); });
    },
  };
  return n;
}

async function setup(count, start = true, extra = []) {
  const dir = mkdtempSync(join(tmpdir(), 'cfgscope-nats-'));
  const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
  const cports = count > 1 ? await Promise.all(Array.from({ length: count }, () => freePort())) : [];
  const nodes = ports.map((port, i) => node(`n${i + 1}`, port, join(dir, `n${i + 1}`),
    count > 1 ? { name: 'cfgscope-test', port: cports[i], routes: cports.filter((_, j) => j !== i) } : undefined, extra));
  const s = {
    nodes, dir, urls: nodes.map((x) => x.url).join(','),
    async stop() {
      await Promise.all(nodes.map((x) => x.kill()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  if (!start) return s;
  try {
    await Promise.all(nodes.map((x) => x.start()));
  } catch (e) {
    await s.stop();
    throw e;
  }
  return s;
}

export const startSingle = () => setup(1);
/** A single server's port and store, not started yet (a machine publishing before it is up). */
export const plannedSingle = () => setup(1, false);
export const startCluster = () => setup(3);
/** A single server that asks for a user and password (nats-server --user --pass). */
export const startSingleWithUser = (user, pass) => setup(1, true, ['--user', user, '--pass', pass]);
