// The server's prebuilt websocket frames (src/server/text-frames.ts), read back by ws's own frame
// parser as a client reads them: every length encoding (7-bit, 16-bit, 64-bit), multi-byte UTF-8,
// and a batch's frames back to back in one Buffer, written as one slice.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { adjacent, frameText, textFrames } from '../../src/server/text-frames.js';

interface FrameParser {
  on(event: 'message', cb: (data: Buffer, isBinary: boolean) => void): void;
  on(event: 'error', cb: (e: Error) => void): void;
  write(chunk: Buffer): boolean;
}
// ws's Receiver (the parser a ws client runs on what it reads); @types/ws does not declare it.
const { Receiver } = createRequire(import.meta.url)('ws') as { Receiver: new (o: { isServer: boolean }) => FrameParser };

function parse(bytes: Buffer): Promise<{ texts: string[]; binary: boolean[] }> {
  return new Promise((resolve, reject) => {
    const texts: string[] = [];
    const binary: boolean[] = [];
    const r = new Receiver({ isServer: false });
    r.on('message', (data, isBinary) => { texts.push(data.toString('utf8')); binary.push(isBinary); });
    r.on('error', reject);
    r.write(bytes);
    setImmediate(() => resolve({ texts, binary }));
  });
}

// Payload sizes at each edge of the length encodings; 'é' is 2 bytes, so byte and char counts differ.
const TEXTS = [
  '{"type":"access","seq":1}',
  'x'.repeat(125),
  'x'.repeat(126),
  `{"comm":"${'é'.repeat(40)}"}`,
  'y'.repeat(65535),
  'z'.repeat(65536),
  `${'é'.repeat(32768)}`,
];

describe('text frames', () => {
  it('are whole text messages that ws parses back to the same texts, in order', async () => {
    const frames = textFrames(TEXTS);
    const { texts, binary } = await parse(Buffer.concat(frames));
    expect(texts).toEqual(TEXTS);
    expect(binary.every((b) => !b)).toBe(true);
    expect(frames.map(frameText)).toEqual(TEXTS);
  });

  it('of one batch lie back to back, so a run of them is one slice of whole messages', async () => {
    const frames = textFrames(TEXTS.slice(0, 4));
    for (let i = 1; i < frames.length; i++) expect(adjacent(frames[i - 1]!, frames[i]!)).toBe(true);
    expect(adjacent(frames[0]!, frames[2]!)).toBe(false);
    const run = Buffer.from(frames[0]!.buffer, frames[0]!.byteOffset, frames.reduce((n, f) => n + f.length, 0));
    expect((await parse(run)).texts).toEqual(TEXTS.slice(0, 4));
    // Two batches may share Node's buffer pool: frames that happen to touch still join into whole messages.
    const [other] = textFrames(['{"type":"end","seq":9}']);
    if (adjacent(frames[3]!, other!)) {
      const joined = Buffer.from(frames[3]!.buffer, frames[3]!.byteOffset, frames[3]!.length + other!.length);
      expect((await parse(joined)).texts).toEqual([TEXTS[3], '{"type":"end","seq":9}']);
    }
  });
});
