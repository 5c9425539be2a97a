// The file sources read every chunk into one buffer (src/sources/file-chunks.ts): a parser or
// splitter that kept a view of a chunk would see it overwritten by the next one. Each real input
// kind read in small chunks, so that most lines and frames straddle chunks and every chunk
// overwrites the last, gives the records it gives read in one piece; in the text kinds also
// characters of several bytes cut between chunks.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CaptureRecord } from '../../src/model/records.js';
import { fileChunks } from '../../src/sources/file-chunks.js';
import { parserFeed } from '../../src/sources/parser-feed.js';
import { recordChunks } from '../../src/sources/record-chunks.js';
import { readAll, resolveFormat } from '../../src/sources/records-from-file.js';
import { runCli } from '../cli/run-cli.js';

const root = new URL('../../', import.meta.url).pathname;
const NDJSON = `${root}replays/qemu-6.1-q35-basic/kernel.capture.ndjson`;

async function inChunks(file: string, chunkBytes: number): Promise<CaptureRecord[]> {
  const out: CaptureRecord[] = [];
  for await (const batch of recordChunks(file, await resolveFormat(file), { chunkBytes })) out.push(...batch);
  return out;
}

/** A copy of a real text input whose process name `from` is spelt with 2-, 3- and 4-byte UTF-8
 *  characters: read in chunks, some of them are cut between two chunks and must be decoded
 *  whole (the fixtures themselves are ASCII). */
function multibyte(dir: string, file: string, from: string, to: string): string {
  const out = join(dir, `multibyte-${file.split('/').pop()}`);
  writeFileSync(out, readFileSync(file, 'utf8').replaceAll(from, to));
  return out;
}

describe('records read through one reused buffer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfgscope-chunks-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const packed = join(dir, 'kernel.cfgcap');
  const serial = `${root}test/fixtures/qemu-6.1-q35-basic/serial.log`;
  const bpftrace = `${root}test/fixtures/bpftrace/probe-phases.txt`;
  const COMM = 'insmöd€😀';

  it.each([
    ['an NDJSON capture (byte lines)', NDJSON, null],
    ['a raw ftrace serial log (decoded text)', serial, null],
    ['the same with multi-byte characters', () => multibyte(dir, serial, 'insmod-', `${COMM}-`), COMM],
    ['bpftrace text output (decoded text)', bpftrace, null],
    ['the same with multi-byte characters', () => multibyte(dir, bpftrace, 'comm=insmod', `comm=${COMM}`), COMM],
    ['a QEMU device-side trace (decoded text)', `${root}test/fixtures/qemu-6.1-q35-basic/qemu-trace.log`, null],
    ['a packed capture (frames)', packed, null],
  ])('%s: the same records in chunks of 4096 and 97 bytes as in one piece', async (_what, input, comm) => {
    const file = typeof input === 'function' ? input() : input;
    if (file === packed) expect((await runCli('import', NDJSON, '-o', packed)).code).toBe(0);
    expect(statSync(file).size).toBeLessThan(1 << 20); // one piece: readAll's 1 MB buffer holds it all
    const whole = await readAll(file);
    expect(whole.filter((r) => r.t === 'access').length).toBeGreaterThan(100);
    expect(whole.some((r) => r.t === 'skipped')).toBe(false);
    if (comm !== null) expect(whole.filter((r) => r.t === 'access' && r.comm === comm).length).toBeGreaterThan(10);
    for (const size of [4096, 97]) expect(await inChunks(file, size)).toEqual(whole);
  });

  it('hands out views of one buffer that add up to the file', async () => {
    const views: Buffer[] = [];
    const copies: Buffer[] = [];
    for await (const c of fileChunks(NDJSON, 4096)) {
      views.push(c);
      copies.push(Buffer.from(c));
    }
    expect(new Set(views.map((v) => v.buffer)).size).toBe(1);
    expect(Buffer.concat(copies).equals(readFileSync(NDJSON))).toBe(true);
  });

  it('a text file cut in the middle of a character ends with U+FFFD, as a stream decoder ends it', () => {
    const lines: string[] = [];
    const feed = parserFeed({ line: (t) => { lines.push(t); }, end: () => {} });
    const euro = Buffer.from('€', 'utf8');
    feed.push(Buffer.concat([Buffer.from('a€\nb'), euro.subarray(0, 1)]));
    feed.push(euro.subarray(1, 2));
    feed.end();
    expect(lines).toEqual(['a€', 'b\ufffd']);
  });
});
