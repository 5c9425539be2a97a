import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CaptureRecord } from '../../src/model/records.js';
import { accessProblem } from '../../src/model/record-check.js';
import type { AccessRecord } from '../../src/model/records.js';
import { AccessLineScanner } from '../../src/parsers/capture-access-scanner.js';
import { captureFormat } from '../../src/parsers/capture.js';
import { StackTable } from '../../src/model/stack-table.js';
import { readRecords } from '../support/read-records.js';

const replays = new URL('../../replays/', import.meta.url).pathname;
const captures = readdirSync(replays, { withFileTypes: true }).filter((d) => d.isDirectory())
  .flatMap((d) => readdirSync(join(replays, d.name)).filter((f) => f.endsWith('.ndjson')).map((f) => join(replays, d.name, f)));
const dir = mkdtempSync(join(tmpdir(), 'cfgscope-scan-'));
const HEADER = '{"t":"header","format":"cfgscope-capture","version":1,"source":{"kind":"ftrace"},"clock":"global"}';
const ACCESS = '{"t":"access","ts":2.876598,"cpu":1,"pid":1,"comm":"init","op":"w","seg":0,"bus":0,"devfn":24,"off":48,"size":4,"val":65535,"ret":null,"layer":"bus","fn":"pci_bus_write_config_dword","stack":12,"known":true,"line":8160}';

/** What one capture parser emits for `line` after the header, fed as text (JSON.parse path) or as bytes (scanner first). */
function parseBoth(line: string): { text: CaptureRecord[]; bytes: CaptureRecord[] } {
  const run = (viaBytes: boolean): CaptureRecord[] => {
    const out: CaptureRecord[] = [];
    const p = captureFormat.create({ file: 'edge.ndjson', stacks: new StackTable() }, (r) => out.push(r));
    p.line(HEADER, 1);
    if (viaBytes) {
      const b = Buffer.from(`xx${line}yy`, 'utf8'); // a range inside a larger buffer, as the file source hands it over
      p.bytes!(b, 2, b.length - 2, 2);
    } else {
      p.line(line, 2);
    }
    return out.slice(1);
  };
  return { text: run(false), bytes: run(true) };
}

describe('the capture scanner reads every access and nested line of the bundled captures exactly as JSON.parse does', () => {
  for (const file of captures) {
    it(file.slice(replays.length), () => {
      const scanner = new AccessLineScanner();
      const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('{"t":"access"') || l.startsWith('{"t":"nested"'));
      expect(lines.length).toBeGreaterThan(100);
      for (const line of lines) {
        const r = scanner.scanText(line);
        // Same values, same key order (re-serialises to the same bytes), never left to the slow path.
        expect(r).toStrictEqual(JSON.parse(line));
        expect(JSON.stringify(r)).toBe(line);
      }
    });
  }

  it('and a whole capture read from its bytes is record for record what JSON.parse of each line gives', async () => {
    for (const file of captures) {
      const want = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.stringify(JSON.parse(l)));
      const got = (await readRecords(file)).map((r) => JSON.stringify(r));
      expect(got).toEqual(want);
    }
  });
});

describe('lines the scanner does not read exactly fall back to JSON.parse, with the same result', () => {
  const cases: [string, string, boolean][] = [
    ['the writer\'s own shape', ACCESS, true],
    ['no line number', ACCESS.replace(',"line":8160', ''), true],
    ['attributed and sizeGuessed in either order', ACCESS.replace('}', ',"sizeGuessed":true,"attributed":"device-log"}'), true],
    ['a device-side record with a model', ACCESS.replace('"comm":"init",', '"comm":null,"model":"e1000e",'), true],
    ['an unknown access (nulls)', '{"t":"access","ts":null,"cpu":0,"pid":1,"comm":"swapper/0","op":"w","seg":null,"bus":null,"devfn":null,"off":null,"size":2,"val":null,"ret":null,"layer":"bus","fn":"pci_bus_write_config_word","stack":null,"known":false,"line":3}', true],
    ['numbers: -0, an exponent, 17 significant digits, 2^64-1', ACCESS.replace('"ts":2.876598', '"ts":-0').replace('"val":65535', '"val":18446744073709551615').replace('"cpu":1', '"cpu":1e3').replace('"pid":1', '"pid":2.0923520000000001'), true],
    ['small decimals', ACCESS.replace('"ts":2.876598', '"ts":0.000001'), true],
    ['a nested record', '{"t":"nested","layer":"function","of":8160,"line":8173}', true],
    ['a nested record without the primary line', '{"t":"nested","layer":"user","of":null,"line":12}', true],
    ['an escaped string', ACCESS.replace('"comm":"init"', '"comm":"kworker\\/0:1 \\"x\\""'), false],
    ['a non-ASCII string', ACCESS.replace('"comm":"init"', '"comm":"nä\u00efve ✓"'), false],
    ['an unknown key', ACCESS.replace('"op":"w",', '"op":"w","extra":[1,{"a":2}],'), false],
    ['reordered keys', ACCESS.replace('"cpu":1,"pid":1', '"pid":1,"cpu":1'), false],
    ['whitespace', ACCESS.replace('"ts":2.876598', '"ts": 2.876598'), false],
    ['a trailing carriage return', `${ACCESS}\r`, false],
    ['a duplicated key', ACCESS.replace('}', ',"line":9}'), false],
    ['an op other than r or w', ACCESS.replace('"op":"w"', '"op":"x"'), false],
    ['a size given as a string (bad record)', ACCESS.replace('"size":4', '"size":"4"'), false],
    ['a leading zero (bad JSON)', ACCESS.replace('"off":48', '"off":048'), false],
    ['a bare fraction (bad JSON)', ACCESS.replace('"ts":2.876598', '"ts":.5'), false],
    ['a line cut off mid-write (bad JSON)', ACCESS.slice(0, 120), false],
    ['a record of another type', '{"t":"phase","ts":3.1,"label":"PHASE[1] insmod e1000e","index":1,"line":9}', false],
  ];
  for (const [what, line, fast] of cases) {
    it(what, () => {
      const scanned = new AccessLineScanner().scanText(line);
      if (fast) expect(scanned).toStrictEqual(JSON.parse(line));
      else expect(scanned).toBeNull();
      const { text, bytes } = parseBoth(line);
      expect(bytes).toStrictEqual(text);
      expect(bytes.map((r) => JSON.stringify(r))).toEqual(text.map((r) => JSON.stringify(r)));
    });
  }

  it('an access line before the header is still CAPTURE_NO_HEADER', async () => {
    const file = join(dir, 'no-header.ndjson');
    writeFileSync(file, `${ACCESS}\n${HEADER}\n${ACCESS}\n`);
    const recs = await readRecords(file, 'capture');
    expect(recs.map((r) => (r.t === 'skipped' ? `${r.code}:${r.line}` : r.t))).toEqual(['CAPTURE_NO_HEADER:1', 'header', 'access']);
  });

  it('a line split across two 1 MiB reads, inside a multi-byte character, reads whole', async () => {
    const file = join(dir, 'boundary.ndjson');
    const odd = ACCESS.replace('"comm":"init"', '"comm":"ü-ü"');
    const fill = Math.ceil(((1 << 20) - 1000 - HEADER.length - 1) / (ACCESS.length + 1));
    let text = `${HEADER}\n${`${ACCESS}\n`.repeat(fill)}`;
    // A filler line whose comm is sized so the first 'ü' (2 bytes) of the next line straddles byte
    // 1 MiB, where the file source's first read ends.
    const filler = (k: number): string => `${ACCESS.replace('"comm":"init"', `"comm":"${'x'.repeat(k)}"`)}\n`;
    const k = (1 << 20) - 1 - Buffer.byteLength(text) - Buffer.byteLength(filler(0)) - Buffer.byteLength(odd.slice(0, odd.indexOf('ü')));
    text += filler(k);
    expect(Buffer.byteLength(text + odd.slice(0, odd.indexOf('ü')))).toBe((1 << 20) - 1);
    text += `${odd}\n${ACCESS}`;
    writeFileSync(file, text);
    const recs = await readRecords(file);
    const lines = text.split('\n');
    expect(recs.map((r) => JSON.stringify(r))).toEqual(lines.map((l) => JSON.stringify(JSON.parse(l))));
    expect(recs.find((r) => r.t === 'access' && r.comm === 'ü-ü')).toBeDefined();
  });
});

describe('the scanner\'s range test agrees with record-check\'s accessProblem', () => {
  // The scanner tells in-range accesses from the values as it reads them, so that check need not
  // run accessProblem on every access; a record it calls out of range goes through accessProblem,
  // which decides. Every field at and past each edge of its range, known and unknown accesses.
  const edges = ['-1', '-0', '0', '0.5', '1', '2', '3', '4', '255', '256', '4092', '4093', '4095', '4096', '65535', '65536',
    '2147483647', '2147483648', '4294967295', '4294967296', '1e400', '-1e400', 'null', '"1"'];
  const fields = ['ts', 'cpu', 'pid', 'seg', 'bus', 'devfn', 'off', 'size', 'val', 'ret', 'stack', 'line'];
  const unknown = '{"t":"access","ts":null,"cpu":0,"pid":1,"comm":"swapper/0","op":"w","seg":null,"bus":null,"devfn":null,"off":null,"size":2,"val":null,"ret":null,"layer":"bus","fn":null,"stack":null,"known":false,"line":3}';
  const lines: string[] = [];
  for (const base of [ACCESS, ACCESS.replace('"size":4', '"size":1'), ACCESS.replace('"size":4', '"size":2'), unknown]) {
    for (const f of fields) for (const v of edges) lines.push(base.replace(new RegExp(`"${f}":[^,}]+`), `"${f}":${v}`));
    for (const layer of ['bus', 'device', 'user', 'raw', 'acpi', 'early', 'function', 'BUS']) lines.push(base.replace('"layer":"bus"', `"layer":"${layer}"`));
    lines.push(base.replace('}', ',"attributed":"device-log"}'), base.replace('}', ',"attributed":"kernel"}'));
    lines.push(base.replace('"known":', '"seg":0,"known":').replace(/"seg":[^,]+,/, ''));
  }

  it(`on ${lines.length} lines`, () => {
    const scanner = new AccessLineScanner();
    let scanned = 0;
    let outOfRange = 0;
    for (const line of lines) {
      const r = scanner.scanText(line);
      if (r === null || r.t !== 'access') continue;
      scanned++;
      const problem = accessProblem(r as AccessRecord);
      if (problem !== null) outOfRange++;
      expect({ line, inRange: scanner.inRange }).toEqual({ line, inRange: problem === null });
    }
    // The cases reach both answers, many times each.
    expect(scanned).toBeGreaterThan(500);
    expect(outOfRange).toBeGreaterThan(200);
    expect(scanned - outOfRange).toBeGreaterThan(100);
  });
});
