// Hostile HTTP requests (raw bytes on a socket, so that nothing a client library refuses to send
// is out of reach) and hostile websocket client messages for `cfgscope serve`.
import fc from 'fast-check';
import { PROTO_NAMES } from './record-arbitraries.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE', 'get', 'G\u0000T', 'PRI', 'M'.repeat(300)];
const TARGETS = [
  '/', '//', '///x', '//evil.example/', '/%', '/%zz', '/%E0%A4%A', '/%ff', '/..%2f..%2fpackage.json', '/web/../../package.json',
  '*', 'http://evil.example/', 'http://[::1', 'http://127.0.0.1:1/ws', '/ws', '/ws?token=%', '/?token=%ff', '/?token=%E0%A4%A',
  '/index.html%00', `/${'a'.repeat(9000)}`, '/\\..\\package.json', '/%2e%2e/%2e%2e/package.json', '/\u00e9', '/?__proto__[x]=1', '/ws#frag', '',
];
const VERSIONS = ['HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/9.9', 'HTTP/1.1 extra', ''];

/** Headers with values chosen to break parsers: bad percent-encoding, proto names, huge, foreign hosts. */
const HEADERS: readonly (readonly [string, string])[] = [
  ['Cookie', 'cfgscope_token=%E0%A4%A'], ['Cookie', 'cfgscope_token=%'], ['Cookie', 'cfgscope_token=%zz; cfgscope_token=a'],
  ['Cookie', 'cfgscope_token'], ['Cookie', '__proto__=1; constructor=2; cfgscope_token=%ff'], ['Cookie', `cfgscope_token=${'%41'.repeat(3000)}`],
  ['Authorization', 'Bearer'], ['Authorization', 'Bearer %'], ['Authorization', 'Basic Og=='], ['Authorization', `Bearer ${'x'.repeat(8000)}`],
  ['Host', ''], ['Host', 'attacker.example'], ['Host', '[::1'], ['Host', '127.0.0.1:1'], ['Host', 'h'.repeat(5000)],
  ['Origin', 'http://evil.example'], ['Origin', 'null'], ['Origin', '%'],
  ['Connection', 'Upgrade'], ['Upgrade', 'websocket'], ['Sec-WebSocket-Version', '13'], ['Sec-WebSocket-Version', '99'],
  ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='], ['Sec-WebSocket-Key', '%%%'], ['Sec-WebSocket-Extensions', 'permessage-deflate; client_max_window_bits=99'],
  ['Content-Length', '-1'], ['Content-Length', '99999999999'], ['Content-Length', '5'], ['Transfer-Encoding', 'chunked'],
  ['X-Bad', 'a\u0000b'], ['X-Bad', '\u00ff\u00fe'], ['No-Colon-Header', ''], ['Expect', '100-continue'],
];

export interface RawRequest { method: string; target: string; version: string; headers: (readonly [string, string])[]; body: string; withToken: boolean }

export function rawRequest(): fc.Arbitrary<RawRequest> {
  return fc.record({
    method: fc.constantFrom(...METHODS),
    target: fc.oneof(fc.constantFrom(...TARGETS), fc.string({ maxLength: 40 }).map((s) => `/${s}`)),
    version: fc.constantFrom(...VERSIONS),
    headers: fc.array(fc.constantFrom(...HEADERS), { maxLength: 6 }),
    body: fc.oneof(fc.constant(''), fc.string({ maxLength: 64 }), fc.constant('0\r\n\r\n'), fc.constant('zz\r\nxx\r\n')),
    withToken: fc.boolean(),
  });
}

/** The request's bytes; `token` is added to the target when `withToken`, the Host header when none is given. */
export function requestBytes(r: RawRequest, port: number, token: string | null): Buffer {
  const target = r.withToken && token ? `${r.target}${r.target.includes('?') ? '&' : '?'}token=${token}` : r.target;
  const hasHost = r.headers.some(([k]) => k === 'Host');
  const lines = [`${r.method} ${target} ${r.version}`.trimEnd(), ...(hasHost ? [] : [`Host: 127.0.0.1:${port}`]),
    ...r.headers.map(([k, v]) => (k === 'No-Colon-Header' ? k : `${k}: ${v}`))];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${r.body}`, 'latin1');
}

export type ClientMessage =
  | { kind: 'text'; text: string }
  | { kind: 'binary'; bytes: number[] }
  | { kind: 'invalid-utf8' }
  | { kind: 'oversize' };

const HOSTILE_VALUES: readonly string[] = [
  '-1', '0', '1.5', '1e308', '1e999', '-0', '9007199254740993', '"1"', 'null', 'true', '[]', '{}', '[1]',
  '"__proto__"', '"toString"', '{"__proto__":{"x":1}}', '"\\u001b[2J\\nFORGED"', `"${'x'.repeat(20000)}"`,
];

function nested(depth: number, open: string, close: string, inner = '1'): string {
  return open.repeat(depth) + inner + close.repeat(depth);
}

/** One client message: hostile fields, prototype names, deep nesting, raw non-JSON, binary frames. */
export function clientMessage(maxDepth: number): fc.Arbitrary<ClientMessage> {
  const type = fc.constantFrom('subscribe', 'ping', 'ping', ...PROTO_NAMES, '', 'SUBSCRIBE', 'hello', 'pong', 'subscribe\u0000');
  const field = fc.constantFrom('from', 'kinds', 'bdf', 'minSeverity', 'violationsOnly', 'id', '__proto__', 'constructor');
  const value = fc.oneof(
    fc.constantFrom(...HOSTILE_VALUES),
    fc.array(fc.constantFrom(...PROTO_NAMES, 'access', 'finding', 'end'), { maxLength: 4 }).map((k) => JSON.stringify(k)),
    fc.integer({ min: 100, max: maxDepth }).map((d) => nested(d, '[', ']')),
    fc.integer({ min: 100, max: Math.floor(maxDepth / 6) }).map((d) => nested(d, '{"a":', '}')),
  );
  const object = fc.tuple(type, fc.array(fc.tuple(field, value), { maxLength: 3 })).map(([t, fields]) => ({
    kind: 'text' as const,
    text: `{"type":${JSON.stringify(t)}${fields.map(([k, v]) => `,${JSON.stringify(k)}:${v}`).join('')}}`,
  }));
  return fc.oneof(
    { weight: 6, arbitrary: object },
    { weight: 2, arbitrary: fc.integer({ min: 100, max: maxDepth }).map((d) => ({ kind: 'text' as const, text: `{"type":"ping","id":${nested(d, '[', ']')}}` })) },
    { weight: 2, arbitrary: fc.constantFrom('', 'null', '[]', '"x"', '1', '{', '{"type":1}', '{"type":null}', '\ufeff{"type":"ping"}', '{"type":"ping"}{"type":"ping"}', nested(5000, '[', ']')).map((text) => ({ kind: 'text' as const, text })) },
    { weight: 1, arbitrary: fc.array(fc.nat({ max: 255 }), { maxLength: 64 }).map((bytes) => ({ kind: 'binary' as const, bytes })) },
    { weight: 1, arbitrary: fc.constantFrom({ kind: 'invalid-utf8' as const }, { kind: 'oversize' as const }) },
  );
}

/** Close codes a hostile client may get (docs/protocol.md, plus ws's RFC 6455 answers 1002 and 1007). */
export const DOCUMENTED_CLOSES: ReadonlySet<number> = new Set([1000, 1001, 1002, 1007, 1009, 4400, 4401, 4404, 4422]);

/** Origins and Host headers of another site: a web page or a DNS-rebound name. */
export const FOREIGN_ORIGINS = ['http://evil.example', 'https://evil.example', 'null', 'http://127.0.0.1.evil.example', 'http://localhost.evil.example:7878', 'file://', 'http://127.0.0.1:1', 'chrome-extension://abc'] as const;
export const FOREIGN_HOSTS = ['attacker.example', 'evil.example:7878', '127.0.0.1.nip.io', 'localhost.evil.example', 'rebind.example:80'] as const;
