// One long-lived `addr2line -f -i -a -e FILE [-j SECTION]` (GNU binutils) answering many
// addresses: starting it on a 600 MB vmlinux costs about a second, each address after that
// microseconds. Requests are written as a batch of addresses followed by a sentinel address no
// code lives at (all ones); `-a` echoes each address before its answer, so the output splits into
// one block per address, and the sentinel's block (`??` / `??:0`) ends the batch.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { CfgscopeError } from '../model/errors.js';

/** One entry of addr2line's inline chain: the function and the source line in it. */
export interface SourcePlace { fn: string; file: string; line: number | null }

const SENTINEL = 0xffffffffffffffffn;
const ADDRESS_LINE = /^0x[0-9a-f]{16}$/;

interface Pending { count: number; blocks: SourcePlace[][]; resolve: (b: SourcePlace[][]) => void; reject: (e: Error) => void }

/** `drivers/pci/probe.c:213 (discriminator 2)` -> place; `??:0` / `??:?` -> no file. */
function place(fn: string, loc: string): SourcePlace {
  const m = /^(.*):(\d+|\?)(?: \(discriminator \d+\))?$/.exec(loc);
  const file = m ? m[1]! : loc;
  const line = m && m[2] !== '?' ? Number(m[2]) : null;
  return { fn, file: file === '??' ? '' : file, line: line === 0 ? null : line };
}

export class Addr2lineProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly queue: Pending[] = [];
  /** Lines of the block being read, and whether it is the current batch's sentinel. */
  private block: string[] | null = null;
  private inSentinel = false;
  private failure: Error | null = null;
  private stderr = '';

  constructor(readonly file: string, readonly section: string | null, binary = 'addr2line') {
    const args = ['-f', '-i', '-a', '-e', file, ...(section ? ['-j', section] : [])];
    this.child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.on('error', (e: NodeJS.ErrnoException) => this.fail(e.code === 'ENOENT'
      ? new CfgscopeError('SYMBOLS_NO_ADDR2LINE', `${binary} not found: install binutils`, { file })
      : new CfgscopeError('SYMBOLS_ADDR2LINE_FAILED', e.message, { file })));
    this.child.stderr.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-2000); });
    this.child.on('exit', (code, signal) => this.fail(new CfgscopeError('SYMBOLS_ADDR2LINE_FAILED',
      `${binary} exited (${signal ?? code})${this.stderr ? `: ${this.stderr.trim()}` : ''}`, { file })));
    this.child.stdin.on('error', () => { /* reported by 'exit' */ });
    createInterface({ input: this.child.stdout }).on('line', (l) => this.onLine(l));
  }

  /** The inline chain of each address (innermost function first), in the order asked. */
  resolve(addresses: readonly bigint[]): Promise<SourcePlace[][]> {
    if (this.failure) return Promise.reject(this.failure);
    if (addresses.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.queue.push({ count: addresses.length, blocks: [], resolve, reject });
      this.child.stdin.write([...addresses, SENTINEL].map((a) => `0x${a.toString(16)}\n`).join(''));
    });
  }

  close(): void {
    this.child.removeAllListeners('exit');
    this.child.stdin.end();
    this.child.kill();
  }

  private onLine(line: string): void {
    const head = this.queue[0];
    if (!head) return;
    if (ADDRESS_LINE.test(line)) {
      this.finishBlock(head);
      this.block = [];
      this.inSentinel = BigInt(line) === SENTINEL && head.blocks.length === head.count;
      return;
    }
    this.block?.push(line);
    // The sentinel's answer is one pair (`??`, `??:0`): the batch is complete.
    if (this.inSentinel && this.block?.length === 2) {
      this.block = null;
      this.inSentinel = false;
      this.queue.shift();
      head.resolve(head.blocks);
    }
  }

  private finishBlock(head: Pending): void {
    if (this.block === null) return;
    const chain: SourcePlace[] = [];
    for (let i = 0; i + 1 < this.block.length; i += 2) chain.push(place(this.block[i]!, this.block[i + 1]!));
    head.blocks.push(chain.filter((p) => p.fn !== '??' || p.file !== ''));
    this.block = null;
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    for (const p of this.queue.splice(0)) p.reject(e);
  }
}
