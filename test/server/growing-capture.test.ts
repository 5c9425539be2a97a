// The history of a live run is its capture file, still being written. A pass over it stops at
// the last complete line: what it gives is exactly the start of the finished file's stream, with
// no end-of-stream events and nothing made of a half-written line.
import { describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capturePass } from '../../src/server/capture-stream.js';
import { wireEvent, type ServedEvent } from '../../src/server/wire-message.js';
import { captureStream, QEMU_BASIC } from './capture-server.js';

// Real servers and sockets on a machine shared with other jobs: generous limits, never timing assertions.
vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

async function texts(events: AsyncIterable<ServedEvent[]>): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of events) for (const e of batch) out.push(wireEvent(out.length + 1, e).text);
  return out;
}

describe('a capture still being written', () => {
  it('gives a prefix of the finished stream, without end events or a skipped half line', async () => {
    const whole = await captureStream(QEMU_BASIC, '0000:02:00.0');
    const full = await texts(capturePass(whole));
    const bytes = readFileSync(QEMU_BASIC);
    const cut = join(mkdtempSync(join(tmpdir(), 'cfgscope-growing-')), 'live.capture.ndjson');
    // Cut in the middle of a line, two thirds in.
    const at = bytes.indexOf('\n', Math.floor((bytes.length * 2) / 3)) - 20;
    writeFileSync(cut, bytes.subarray(0, at));
    const growing = await texts(capturePass({ ...whole, file: cut, growing: true }));
    expect(growing.length).toBeGreaterThan(full.length / 2);
    expect(growing.length).toBeLessThan(full.length);
    expect(growing).toEqual(full.slice(0, growing.length));
    expect(growing.some((t) => /"type":"(end|totals|skipped)"/.test(t))).toBe(false);
    // Read as a finished file, the same cut ends the stream (and reports the half line).
    const finished = await texts(capturePass({ ...whole, file: cut }));
    expect(finished.some((t) => t.includes('"type":"end"'))).toBe(true);
  });
});
