// One client's frames coalesced into one socket write per turn of the event loop. ws hands every
// frame to the socket as soon as it is sent, and an uncorked socket writes at once: one writev
// system call per event per client, which was most of the server's time with many clients. The
// first frame of a turn corks the socket; the uncork, queued with nextTick, runs once the turn's
// synchronous work (a batch of events offered to every client) is done, and sends the turn's
// frames with one writev. Each frame is still one JSON message (docs/protocol.md): only the
// system calls are shared.

import type { Duplex } from 'node:stream';

export class WriteBatch {
  private held = false;
  /** The send buffer when this turn's first frame was queued. */
  private before = 0;

  /** `buffered`: the connection's send buffer in bytes (ws's bufferedAmount, corked bytes included). */
  constructor(private readonly socket: Duplex, private readonly buffered: () => number) {}

  private readonly release = (): void => {
    this.held = false;
    this.socket.uncork();
  };

  /** Before a send: the first of a turn corks the socket and queues the uncork. */
  hold(): void {
    if (this.held) return;
    this.before = this.buffered();
    this.held = true;
    this.socket.cork();
    process.nextTick(this.release);
  }

  /**
   * What the client has left unread of earlier turns' writes. This turn's frames are not written
   * yet (an uncorked socket would have handed them to the kernel at once), so they do not make
   * the client slow.
   */
  backlog(): number {
    return this.held ? this.before : this.buffered();
  }
}
