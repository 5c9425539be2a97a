// The file sources read every chunk into one buffer (src/sources/file-chunks.ts): a parser or
// splitter that kept a view of a chunk would see it overwritten by the next one. Each real input
// kind read in small chunks, so that most lines and frames straddle chunks and every chunk
// overwrites the last, gives the records it gives read in one piece.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CaptureRecord } from '../../src/model/records.js';
import { fileChunks } from '../../src/sources/file-chunks.js';
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

describe('records read through one reused buffer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfgscope-chunks-'));
  const packed = join(dir, 'kernel.cfgcap');

  it.each([
    ['an NDJSON capture (byte lines)', NDJSON],
    ['a raw ftrace serial log (decoded text)', `${root}test/fixtures/qemu-6.1-q35-basic/serial.log`],
    ['a QEMU device-side trace (decoded text)', `${root}test/fixtures/qemu-6.1-q35-basic/qemu-trace.log`],
    ['a packed capture (frames)', packed],
  ])('%s: the same records in chunks of 4096 and 97 bytes as in one piece', async (_what, file) => {
    if (file === packed) expect((await runCli('import', NDJSON, '-o', packed)).code).toBe(0);
    expect(statSync(file).size).toBeLessThan(1 << 20); // one piece: readAll's 1 MB buffer holds it all
    const whole = await readAll(file);
    expect(whole.filter((r) => r.t === 'access').length).toBeGreaterThan(100);
    expect(whole.some((r) => r.t === 'skipped')).toBe(false);
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
});
