// What one client is sent in a turn of the event loop, written with as few socket writes and
// system calls as possible. Event frames are prebuilt and shared by every client (text-frames.ts):
// frames that follow each other in memory (a run of one published batch, or of history) are
// queued as one slice. The socket is corked at the turn's first write and uncorked, after the
// queued slice is written, by a nextTick that runs once the turn's synchronous work (a batch
// offered to every client) is done: one writev per client per turn, where ws alone would make
// one per event. Messages are still one JSON object per frame (docs/protocol.md).
//
// Event frames go to the socket ws reads and writes, beside ws's own frames: ws writes each of
// its frames to the socket at once, whole (no compression is negotiated, so it never holds one
// back), and control messages go through ws after the queued frames, so frames never interleave
// and keep their order. Nothing is written once ws is closing (no data after a close frame).

import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { adjacent } from './text-frames.js';

export class WriteBatch {
  private held = false;
  /** The send buffer when this turn's first message was queued. */
  private before = 0;
  /** Frames queued and not yet handed to the socket: one contiguous slice. */
  private run: Buffer | null = null;

  /** `socket`: the connection `ws` writes to; `onWritten`: called as writes complete (the buffer shrinks). */
  constructor(private readonly socket: Duplex, private readonly ws: WebSocket, private readonly onWritten: () => void) {}

  /** Bytes sent and not yet read by the client: ws's bufferedAmount and what is queued here. */
  buffered(): number {
    return this.ws.bufferedAmount + (this.run?.length ?? 0);
  }

  /**
   * What the client has left unread of earlier turns' writes. This turn's messages are not written
   * yet (an uncorked socket would have handed them to the kernel at once), so they do not make
   * the client slow.
   */
  backlog(): number {
    return this.held ? this.before : this.buffered();
  }

  private hold(): void {
    if (this.held) return;
    this.before = this.buffered();
    this.held = true;
    this.socket.cork();
    process.nextTick(this.release);
  }

  private readonly release = (): void => {
    this.held = false;
    this.flush();
    this.socket.uncork();
  };

  /** A prebuilt event frame. */
  frame(f: Buffer): void {
    this.hold();
    const r = this.run;
    if (r !== null && adjacent(r, f)) {
      this.run = Buffer.from(r.buffer, r.byteOffset, r.length + f.length);
      return;
    }
    this.flush();
    this.run = f;
  }

  /** A message ws frames (control messages), after the frames queued before it. */
  message(text: string): void {
    this.hold();
    this.flush();
    this.ws.send(text, this.onWritten);
  }

  /** Hands the queued frames to the socket (still corked until the turn ends). */
  flush(): void {
    const r = this.run;
    if (r === null) return;
    this.run = null;
    if (this.ws.readyState === this.ws.OPEN) this.socket.write(r, this.onWritten);
  }
}
