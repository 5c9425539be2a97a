// The packed encoding holds the same records as the NDJSON form: every bundled capture, packed by
// the real writer (`cfgscope import -o x.cfgcap`) and read back by the real file source, gives the
// records the NDJSON capture gives, key order included; cut and damaged files lose nothing silently.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CaptureRecord } from '../../src/model/records.js';
import { StackTable } from '../../src/model/stack-table.js';
import { packedFormat } from '../../src/parsers/packed.js';
import { crc32 } from '../../src/parsers/crc32.js';
import { ACCESS_SHAPES, PACKED_MAGIC_BYTES, TAG_ACCESS, TAG_CHECK, TAG_JSON, TAG_NESTED } from '../../src/parsers/packed-layout.js';
import { CaptureWriter } from '../../src/sinks/capture-writer.js';
import { SyncWriter } from '../../src/sinks/sync-writer.js';
import { runCli } from '../cli/run-cli.js';
import { readRecords } from '../support/read-records.js';

const replays = new URL('../../replays/', import.meta.url).pathname;
const captures = readdirSync(replays, { withFileTypes: true }).filter((d) => d.isDirectory())
  .flatMap((d) => readdirSync(join(replays, d.name)).filter((f) => f.endsWith('.ndjson')).map((f) => join(replays, d.name, f)));
const dir = mkdtempSync(join(tmpdir(), 'cfgscope-packed-'));
const lines = (rs: CaptureRecord[]): string[] => rs.map((r) => JSON.stringify(r));

async function pack(src: string, name: string): Promise<string> {
  const out = join(dir, name);
  const r = await runCli('import', src, '-o', out);
  expect(r.code, r.stderr).toBe(0);
  return out;
}

/** Records of a packed file fed to the parser in chunks of `size` bytes (frames cut anywhere). */
function parseInChunks(bytes: Buffer, size: number): CaptureRecord[] {
  const out: CaptureRecord[] = [];
  const p = packedFormat.create({ file: 'x.cfgcap', stacks: new StackTable() }, (r) => out.push(r));
  for (let i = 0; i < bytes.length; i += size) p.chunk!(bytes.subarray(i, i + size));
  p.end();
  return out;
}

describe('a packed capture reads back as the NDJSON capture it was made from', () => {
  for (const file of captures) {
    it(file.slice(replays.length), async () => {
      const packed = await pack(file, `${file.slice(replays.length).replace('/', '-')}.cfgcap`);
      const want = await readRecords(file);
      const got = await readRecords(packed);
      expect(lines(got)).toEqual(lines(want));
      // Smaller: device records stay JSON, so the small captures shrink less than large ones.
      expect(readFileSync(packed).length).toBeLessThan(readFileSync(file).length * 0.75);
      // And back: import of the packed file writes the NDJSON capture byte for byte.
      const again = join(dir, `${file.slice(replays.length).replace('/', '-')}.again.ndjson`);
      expect((await runCli('import', packed, '-o', again)).code).toBe(0);
      expect(readFileSync(again, 'utf8')).toBe(readFileSync(file, 'utf8'));
    });
  }

  it('the bundled captures use every access shape, and nearly all their accesses are packed frames', async () => {
    const seen = new Set<string>();
    let accesses = 0;
    let accessFrames = 0;
    for (const file of captures) {
      for (const r of await readRecords(file)) if (r.t === 'access') { seen.add(Object.keys(r).join(',')); accesses++; }
      const bytes = readFileSync(await pack(file, 'count.cfgcap'));
      accessFrames += countFrames(bytes, TAG_ACCESS);
    }
    expect([...seen].sort()).toEqual([...ACCESS_SHAPES].sort());
    expect(accessFrames).toBe(accesses);
  });

  it('gives the same records however the file is cut into chunks', async () => {
    const bytes = readFileSync(await pack(join(replays, 'lab-kexec/kernel.capture.ndjson'), 'chunks.cfgcap'));
    const whole = lines(parseInChunks(bytes, bytes.length));
    for (const size of [1, 7, 63, 64, 65, 4096]) expect(lines(parseInChunks(bytes, size))).toEqual(whole);
  });
});

/** Where each frame starts (the test's own reading of the layout, not the parser's). */
function frameStarts(b: Buffer): number[] {
  const starts: number[] = [];
  for (let p = PACKED_MAGIC_BYTES.length; p < b.length;) {
    starts.push(p);
    const t = b[p]!;
    p += t === TAG_ACCESS ? 64 : t === TAG_NESTED ? 16 : t === TAG_CHECK ? 5 : t === TAG_JSON ? 5 + b.readUInt32LE(p + 1) : 3 + b.readUInt16LE(p + 1);
  }
  return starts;
}

/** Recomputes every check frame of an edited file (as a writer of such a record would have
 *  made it), so the edit reaches the record checks instead of stopping at the checksum. */
function reseal(b: Buffer): Buffer {
  let from = 0;
  for (const p of frameStarts(b)) {
    if (b[p] !== TAG_CHECK) continue;
    b.writeUInt32LE(crc32(b.subarray(from, p)), p + 1);
    from = p + 5;
  }
  return b;
}

const countFrames = (b: Buffer, tag: number): number => frameStarts(b).filter((p) => b[p] === tag).length;

describe('records the fixed frames cannot hold exactly are kept as JSON frames', () => {
  const header: CaptureRecord = { t: 'header', format: 'cfgscope-capture', version: 1, source: { kind: 'ftrace' }, clock: 'global' };
  const base = { t: 'access', ts: 1.5, cpu: 0, pid: 1, comm: 'init', op: 'w', seg: 0, bus: 0, devfn: 8, off: 4, size: 2, val: 6, ret: null, layer: 'bus', fn: 'pci_bus_write_config_word', stack: null, known: true, line: 7 } as const;
  const odd: CaptureRecord[] = [
    { ...base, val: 1.5 }, // not an integer
    { ...base, val: 2 ** 32 }, // past u32
    { ...base, seg: 70000 }, // past the frame's u16 segment
    { ...base, line: 3, sizeGuessed: true, attributed: 'device-log' } as CaptureRecord, // a key order no parser makes
    { ...base, ts: -0 }, // -0 is 0 once written, in both encodings
    { t: 'nested', layer: 'function', of: null, line: 9 },
    { t: 'nested', line: 9, layer: 'function', of: 3 } as CaptureRecord,
  ];

  it('and read back equal to the NDJSON form of the same records', async () => {
    const write = (file: string, packed: boolean): void => {
      const w = new CaptureWriter(SyncWriter.toFile(file), packed ? 'packed' : 'ndjson');
      for (const r of [header, base as CaptureRecord, ...odd]) w.write(r);
      w.finish(true);
    };
    write(join(dir, 'odd.cfgcap'), true);
    write(join(dir, 'odd.ndjson'), false);
    const packed = await readRecords(join(dir, 'odd.cfgcap'));
    const ndjson = await readRecords(join(dir, 'odd.ndjson'));
    const kept = (rs: CaptureRecord[]): CaptureRecord[] => rs.filter((r) => r.t !== 'skipped');
    expect(lines(kept(packed))).toEqual(lines(kept(ndjson)));
    // The three out of the format's ranges are written (the writer keeps what it is given) but
    // both readers skip them with the same code, message and text (locations count lines in one,
    // frames in the other).
    const skips = (rs: CaptureRecord[]): unknown[] => rs.flatMap((r) => (r.t === 'skipped' ? [[r.code, r.message, r.text]] : []));
    expect(skips(packed)).toEqual(skips(ndjson));
    expect(skips(packed).map((s) => (s as string[])[1])).toEqual([
      'access record: field val is 1.5, should be an integer 0..65535 (fits size 2) or null',
      'access record: field val is 4294967296, should be an integer 0..65535 (fits size 2) or null',
      'access record: field seg is 70000, should be an integer 0..65535 or null',
    ]);
    const bytes = readFileSync(join(dir, 'odd.cfgcap'));
    expect(countFrames(bytes, TAG_ACCESS)).toBe(2); // base and the -0 one
    expect(countFrames(bytes, TAG_NESTED)).toBe(1);
  });
});

describe('a cut or damaged packed capture', () => {
  const src = join(replays, 'lab-resets/kernel.capture.ndjson');

  it('cut anywhere: every whole frame is read, the cut one is a PACKED_TRUNCATED skip, nothing else is lost', async () => {
    const bytes = readFileSync(await pack(src, 'cut.cfgcap'));
    const whole = parseInChunks(bytes, 1 << 20); // cut 1 byte short, only the last check frame is lost
    for (const at of [bytes.length - 1, bytes.length - 40, Math.floor(bytes.length / 2) + 3]) {
      const file = join(dir, `cut-${at}.cfgcap`);
      writeFileSync(file, bytes.subarray(0, at));
      const got = await readRecords(file);
      const skipped = got.filter((r) => r.t === 'skipped');
      expect(skipped).toHaveLength(1);
      expect(skipped[0]).toMatchObject({ code: 'PACKED_TRUNCATED' });
      const kept = got.filter((r) => r.t !== 'skipped');
      expect(lines(kept)).toEqual(lines(whole.slice(0, kept.length)));
      expect(kept.length).toBeGreaterThan(100);
    }
  });

  it('check reads a cut packed capture whole and says the trailer is missing', async () => {
    const bytes = readFileSync(await pack(src, 'cut-check.cfgcap'));
    const file = join(dir, 'cut-check-short.cfgcap');
    writeFileSync(file, bytes.subarray(0, bytes.length - 10));
    const r = await runCli('check', '--policy', 'luo-default', '--preserve', '0000:02:00.0', file);
    expect(r.stderr).toMatch(/PACKED_TRUNCATED/);
    expect(r.stderr).toMatch(/violation\(s\) at or above error/); // judged, not refused
    expect(r.code).toBe(1);
  });

  it('an unknown frame tag stops the reading with PACKED_BAD_FRAME and its byte offset', () => {
    const bytes = Buffer.from(readFileSync(join(dir, 'cut.cfgcap')));
    const p = frameStarts(bytes)[50]!; // the 51st frame
    bytes[p] = 0x7a;
    // The 50 frames' records (string frames make none; the prefix alone ends with a PACKED_TRUNCATED skip).
    const before = parseInChunks(bytes.subarray(0, p), 4096).filter((r) => r.t !== 'skipped');
    const got = parseInChunks(bytes, 4096);
    const last = got[got.length - 1]!;
    expect(last).toMatchObject({ t: 'skipped', code: 'PACKED_BAD_FRAME', line: 52 });
    expect((last as { message: string }).message).toContain(`unknown frame tag 0x7a at byte ${p}`);
    expect(lines(got.slice(0, -1))).toEqual(lines(before)); // nothing after it
  });

  it('a string number the file never defined is a CAPTURE_BAD_RECORD skip, and reading goes on', () => {
    const bytes = Buffer.from(readFileSync(join(dir, 'cut.cfgcap')));
    const p = frameStarts(bytes).find((at) => bytes[at] === TAG_ACCESS)!;
    bytes.writeUInt32LE(999999, p + 44); // the fn string
    reseal(bytes);
    const good = parseInChunks(readFileSync(join(dir, 'cut.cfgcap')), 1 << 20);
    const got = parseInChunks(bytes, 1 << 20);
    expect(got).toHaveLength(good.length);
    expect(got.filter((r) => r.t === 'skipped')).toEqual([expect.objectContaining({ code: 'CAPTURE_BAD_RECORD' })]);
  });

  it('an access frame out of the format ranges (size 3, offset 5000) is a CAPTURE_BAD_RECORD skip with its byte offset', () => {
    const good = readFileSync(join(dir, 'cut.cfgcap'));
    const bytes = Buffer.from(good);
    const starts = frameStarts(bytes);
    const access = starts.filter((at) => bytes[at] === TAG_ACCESS && (bytes.readUInt16LE(at + 4) & 0x80) === 0 /* off not null */);
    const [a, b] = [access[10]!, access[20]!];
    bytes[a + 3] = 3; // size
    bytes.writeUInt16LE(5000, b + 32); // off
    reseal(bytes);
    const got = parseInChunks(bytes, 4096);
    const want = parseInChunks(good, 4096);
    expect(got).toHaveLength(want.length);
    expect(got.filter((r) => r.t === 'skipped').map((r) => [r.t === 'skipped' && r.code, r.t === 'skipped' && r.line, r.t === 'skipped' && r.message])).toEqual([
      ['CAPTURE_BAD_RECORD', starts.indexOf(a) + 2, `access frame at byte ${a}: access record: field size is 3, should be 1, 2 or 4`],
      ['CAPTURE_BAD_RECORD', starts.indexOf(b) + 2, expect.stringMatching(new RegExp(`^access frame at byte ${b}: access record: field off is 5000, should be an integer 0\\.\\.409[0-5]`))],
    ]);
  });

  it('--input-format packed on a file that is not packed is PACKED_BAD_MAGIC at line 1', async () => {
    const r = await runCli('check', '--policy', 'luo-default', '--input-format', 'packed', src);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain(`${src}:1: PACKED_BAD_MAGIC`);
  });
});

describe('live capture writes NDJSON only', () => {
  it('refuses a .cfgcap output name with a usage error that says how to pack it', async () => {
    const r = await runCli('capture', '-o', join(dir, 'live.cfgcap'), '--no-preflight');
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('pack it afterwards: cfgscope import <capture> -o <file>.cfgcap');
  });
});
