import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CaptureRecord, SkippedRecord } from '../../src/model/records.js';
import { CaptureWriter } from '../../src/sinks/capture-writer.js';
import { SyncWriter } from '../../src/sinks/sync-writer.js';
import { fixture, readRecords } from '../support/read-records.js';

const dir = mkdtempSync(join(tmpdir(), 'cfgscope-cap-'));

async function writeCapture(records: CaptureRecord[], name: string): Promise<string> {
  const file = join(dir, name);
  const w = new CaptureWriter(SyncWriter.toFile(file));
  for (const r of records) w.write(r);
  w.finish(true);
  return file;
}

describe('capture format round trip on a real trace', async () => {
  const raw = await readRecords(fixture('qemu-6.1-q35-basic/serial.log'));
  const file = await writeCapture(raw, 'serial.capture.ndjson');
  const back = await readRecords(file);

  it('reads back exactly the records written, plus a trailer with computed counts', () => {
    const ignored = raw.flatMap((r) => (r.t === 'source-count' && r.key === 'ignored-console-lines' ? [r.count] : []))[0];
    // serial.log: 480 console lines before `=====BEGIN TRACE`, that marker, `=====END TRACE` and 3 after.
    expect(ignored).toBe(480 + 1 + 1 + 3);
    expect(back.slice(0, -1)).toEqual(raw);
    expect(back.at(-1)).toEqual({
      t: 'trailer', complete: true,
      counts: {
        accesses: 1131, reads: 694, writes: 437, unknownAccesses: 282, devices: 0, stacks: raw.filter((r) => r.t === 'stack').length,
        phases: 7, lostEvents: 0, skipped: 0, nestedMerged: 154, ignoredLines: ignored,
      },
    });
  });

  it('is detected by its header line', async () => {
    expect(readFileSync(file, 'utf8').startsWith('{"t":"header","format":"cfgscope-capture"')).toBe(true);
  });

  it('stays readable when cut off mid-line (crash while writing): the cut line is reported, the rest kept', async () => {
    const text = readFileSync(file, 'utf8');
    const cut = join(dir, 'cut.ndjson');
    const lines = text.split('\n');
    writeFileSync(cut, `${lines.slice(0, 500).join('\n')}\n${lines[500]!.slice(0, 20)}`);
    const recs = await readRecords(cut);
    expect(recs.length).toBe(501);
    expect(recs.at(-1)).toMatchObject({ t: 'skipped', code: 'CAPTURE_BAD_JSON', line: 501 });
    expect(recs.some((r) => r.t === 'trailer')).toBe(false);
  });

  it('reports wrong types, unknown records and a record before the header, with line numbers', async () => {
    const bad = join(dir, 'bad.ndjson');
    const early = '{"t":"access","op":"w","size":4,"layer":"bus","known":false,"bus":null,"devfn":null,"off":null,"val":null,"stack":null}';
    writeFileSync(bad, `${early}\n${readFileSync(file, 'utf8').split('\n')[0]}\n{"t":"bogus"}\n{"t":"access","op":"w","size":"4","layer":"bus","known":true}\n[1,2]\n`);
    const skipped = (await readRecords(bad, 'capture')).filter((r): r is SkippedRecord => r.t === 'skipped');
    expect(skipped.map((s) => [s.code, s.line])).toEqual([
      ['CAPTURE_NO_HEADER', 1], ['CAPTURE_UNKNOWN_TYPE', 3], ['CAPTURE_BAD_RECORD', 4], ['CAPTURE_BAD_RECORD', 5],
    ]);
  });

  it('refuses a capture from a newer cfgscope with CAPTURE_VERSION and the line', async () => {
    const newer = join(dir, 'newer.ndjson');
    writeFileSync(newer, '{"t":"header","format":"cfgscope-capture","version":99,"source":{"kind":"ftrace"},"clock":"global"}\n');
    await expect(readRecords(newer)).rejects.toMatchObject({ code: 'CAPTURE_VERSION', location: { file: newer, line: 1 } });
  });
});
