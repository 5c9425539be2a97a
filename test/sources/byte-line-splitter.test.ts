import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { ByteLineSplitter } from '../../src/sources/byte-line-splitter.js';
import { LineSplitter } from '../../src/sources/line-splitter.js';

const capture = new URL('../../replays/qemu-6.1-q35-basic/kernel.capture.ndjson', import.meta.url).pathname;

/** Lines as the text path sees them: chunks decoded by a streaming decoder, then split. */
function textLines(chunks: Buffer[]): [string, number][] {
  const out: [string, number][] = [];
  const dec = new StringDecoder('utf8');
  const s = new LineSplitter((t, n) => out.push([t, n]));
  for (const c of chunks) s.push(dec.write(c));
  s.push(dec.end());
  s.end();
  return out;
}

function byteLines(chunks: Buffer[]): [string, number][] {
  const out: [string, number][] = [];
  const s = new ByteLineSplitter((b, start, end, n) => out.push([b.toString('utf8', start, end), n]));
  for (const c of chunks) s.push(c);
  s.end();
  return out;
}

/** Cuts `data` at the given sizes, cycling through them. */
function chunked(data: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = sizes[i % sizes.length]!;
    out.push(data.subarray(at, at + n));
    at += n;
  }
  return out;
}

describe('ByteLineSplitter gives the lines and line numbers LineSplitter gives on the decoded text', () => {
  const real = readFileSync(capture);

  it.each([[[1 << 20]], [[1]], [[7, 1, 300, 2]], [[4096]], [[65536, 3]]])('a real capture in chunks of %j bytes', (sizes) => {
    const chunks = chunked(real, sizes);
    const got = byteLines(chunks);
    expect(got).toEqual(textLines(chunks));
    expect(got.length).toBe(real.toString('utf8').split('\n').length - 1);
  });

  it('multi-byte characters cut by chunk boundaries, empty lines, CRLF and a last line without newline', () => {
    const data = Buffer.from('ä€😀\n\n\r\nx\u2028y\nlast ü', 'utf8');
    for (let size = 1; size <= 5; size++) {
      const chunks = chunked(data, [size]);
      expect(byteLines(chunks)).toEqual(textLines(chunks));
    }
    expect(byteLines([data]).map(([t]) => t)).toEqual(['ä€😀', '', '\r', 'x\u2028y', 'last ü']);
  });

  it('copies the partial line it carries: the stream may reuse its buffer', () => {
    const lines: string[] = [];
    const s = new ByteLineSplitter((b, start, end) => lines.push(b.toString('utf8', start, end)));
    const chunk = Buffer.from('a\nxyz');
    s.push(chunk);
    chunk.fill(0x30);
    s.push(Buffer.from('\n'));
    expect(lines).toEqual(['a', 'xyz']);
  });
});
