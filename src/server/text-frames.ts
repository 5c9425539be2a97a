// Websocket text frames (RFC 6455 section 5.2) built once for every client: a server's frames are
// not masked, so the same bytes, header included, go to every connection. The messages of one
// published batch are encoded into one Buffer, frame after frame; each message's frame is a view
// of it, so a run of consecutive messages sent to one client is one contiguous slice, one write.

/** FIN + opcode 1 (text): one whole message per frame, as docs/protocol.md requires. */
const FIN_TEXT = 0x81;

/** Header bytes of an unmasked frame carrying `n` payload bytes. */
const headerBytes = (n: number): number => (n < 126 ? 2 : n < 65536 ? 4 : 10);

function writeHeader(buf: Buffer, at: number, n: number): number {
  buf[at] = FIN_TEXT;
  if (n < 126) {
    buf[at + 1] = n;
    return at + 2;
  }
  if (n < 65536) {
    buf[at + 1] = 126;
    buf.writeUInt16BE(n, at + 2);
    return at + 4;
  }
  buf[at + 1] = 127;
  buf.writeBigUInt64BE(BigInt(n), at + 2);
  return at + 10;
}

/** One frame per text, in order, all views of one Buffer. */
export function textFrames(texts: readonly string[]): Buffer[] {
  const sizes = texts.map((t) => Buffer.byteLength(t));
  const buf = Buffer.allocUnsafe(sizes.reduce((sum, n) => sum + headerBytes(n) + n, 0));
  const frames: Buffer[] = [];
  let at = 0;
  for (let i = 0; i < texts.length; i++) {
    const start = at;
    at = writeHeader(buf, at, sizes[i]!);
    at += buf.write(texts[i]!, at, 'utf8');
    frames.push(buf.subarray(start, at));
  }
  return frames;
}

/** The message a frame carries (its payload, decoded). */
export function frameText(frame: Buffer): string {
  // The second byte is the payload length, or says that 2 (126) or 8 (127) length bytes follow.
  const len = frame[1]!;
  return frame.toString('utf8', len < 126 ? 2 : len === 126 ? 4 : 10);
}

/** Whether `b` starts where `a` ends in the same memory (two frames that can be written as one slice). */
export function adjacent(a: Buffer, b: Buffer): boolean {
  return a.buffer === b.buffer && a.byteOffset + a.length === b.byteOffset;
}
