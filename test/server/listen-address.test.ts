// --listen parsing and which addresses count as loopback (no token needed), and a real IPv6
// loopback bind without a token.
import { describe, expect, it, vi } from 'vitest';
import { EMPTY } from 'rxjs';
import { isLoopback, parseListen } from '../../src/server/listen-address.js';
import { serveEvents } from '../../src/server/serve-events.js';
import { TestClient } from './test-client.js';

// Real servers and sockets on a machine shared with other jobs: generous limits, never timing assertions.
vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

describe('--listen', () => {
  it('reads host:port, with IPv6 in brackets', () => {
    expect(parseListen('127.0.0.1:7878')).toEqual({ host: '127.0.0.1', port: 7878 });
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseListen('0.0.0.0:80')).toEqual({ host: '0.0.0.0', port: 80 });
    expect(parseListen('localhost:8080')).toEqual({ host: 'localhost', port: 8080 });
    for (const bad of ['7878', '127.0.0.1', '::1:7878', '[nothost]:1', 'host:70000', 'host:']) {
      expect(() => parseListen(bad)).toThrow(/SERVE_BAD_LISTEN/);
    }
  });

  it('needs no token only on loopback', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', '::ffff:127.0.0.1']) expect(isLoopback(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.2.15', 'myhost', '::ffff:10.0.0.1', '128.0.0.1']) expect(isLoopback(h)).toBe(false);
  });

  it('serves on [::1] without a token', async () => {
    const s = await serveEvents({ source: EMPTY, meta: { id: 'v6', kind: 'live', policy: null }, listen: { host: '::1', port: 0 } });
    expect(s.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
    const c = new TestClient(`${s.url.replace('http', 'ws')}/ws`);
    expect(await c.next((m) => m.type === 'hello')).toMatchObject({ next: 1, ended: true });
    await c.close();
    await s.close();
  });
});
