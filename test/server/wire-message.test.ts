// Event messages are built once per server for every client: accesses by a hand-written JSON
// writer with cached stacks and phases, all of a batch framed into one Buffer. Over every
// capture in replays/, the writer's text is JSON.stringify's, and each frame is a valid
// unmasked RFC 6455 text frame whose payload is that text.
import { describe, expect, it, vi } from 'vitest';
import { readdirSync } from 'node:fs';
import { capturePass } from '../../src/server/capture-stream.js';
import { AccessJson } from '../../src/server/access-json.js';
import { messageText, wireEvents, type ServedEvent } from '../../src/server/wire-message.js';
import { captureStream, root } from './capture-server.js';

vi.setConfig({ testTimeout: 60_000 });

const captures = readdirSync(`${root}replays`, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.capture.ndjson')).map((f) => `${root}replays/${f}`);

/** Payload of a server frame: FIN text, no mask, 7-bit / 16-bit / 64-bit length. */
function payloadOf(frame: Buffer): string {
  expect(frame[0]).toBe(0x81);
  const len7 = frame[1]!;
  expect(len7 & 0x80).toBe(0);
  const [n, at] = len7 < 126 ? [len7, 2] : len7 === 126 ? [frame.readUInt16BE(2), 4] : [Number(frame.readBigUInt64BE(2)), 10];
  expect(frame.length).toBe(at + n);
  return frame.toString('utf8', at);
}

describe('event messages', () => {
  it('found the captures', () => expect(captures.length).toBeGreaterThanOrEqual(7));

  it.each(captures.map((f) => [f.slice(root.length), f]))('%s: accesses written as JSON.stringify writes them, framed once per batch', async (_name, file) => {
    const stream = await captureStream(file, '0000:02:00.0');
    const accessJson = new AccessJson();
    let seq = 1;
    let accesses = 0;
    let stacks = 0;
    for await (const batch of capturePass(stream)) {
      const wired = wireEvents(seq, batch, accessJson);
      batch.forEach((e: ServedEvent, i) => {
        const plain = messageText(seq + i, e);
        if (e.kind === 'access') {
          accesses++;
          if (e.stack !== null) stacks++;
          expect(accessJson.text(seq + i, e)).toBe(plain);
        }
        expect(payloadOf(wired[i]!.frame)).toBe(plain);
        expect(wired[i]!.text).toBe(plain);
        expect(wired[i]!.seq).toBe(seq + i);
        // One Buffer per batch, frames back to back.
        if (i > 0) expect(wired[i]!.frame.byteOffset).toBe(wired[i - 1]!.frame.byteOffset + wired[i - 1]!.frame.length);
      });
      seq += batch.length;
    }
    expect(accesses).toBeGreaterThan(0);
    if (!file.includes('device.capture')) expect(stacks).toBeGreaterThan(0);
  });

  it('frames long messages with 16- and 64-bit lengths', () => {
    const message = (n: number): ServedEvent => ({ kind: 'error', code: 'SOURCE_FAILED', message: 'x'.repeat(n) });
    const wired = wireEvents(1, [message(10), message(200), message(70_000), message(3)]);
    expect(wired.map((w) => w.frame[1])).toEqual([expect.any(Number), 126, 127, expect.any(Number)]);
    wired.forEach((w, i) => expect(JSON.parse(payloadOf(w.frame))).toMatchObject({ type: 'error', seq: i + 1 }));
    expect(wired.map((w) => w.text)).toEqual(wired.map((w) => payloadOf(w.frame)));
  });
});
