// The `access` message's JSON (docs/protocol.md), written field by field as UTF-8 bytes instead
// of by JSON.stringify of a fresh object: accesses are nearly all of a stream, and most of each
// one's bytes are its call stack, which is shared by many accesses (the stack table interns it)
// and so is encoded once here, like the phase it belongs to. The bytes are exactly
// JSON.stringify's text (test/server/wire-message.test.ts compares them over every capture in
// replays/). One per server: the caches hold only what its stream's events refer to. The strings
// of an access (device, register, call site, function, command, layer) come from small sets and
// repeat from one access to the next: each is escaped and encoded once and its bytes looked up
// after that.

import type { AccessEvent, PhaseRef } from '../model/events.js';
import { encoded, JsonBytes } from './json-bytes.js';

/** Values kept encoded per key at most: a stream whose strings do not repeat (every comm
 *  different) starts over rather than growing. */
const MAX_STRINGS = 4096;

const encodedNull = encoded('null');

/** One key's `,"key":value` pieces, each string value escaped and encoded once with its key. */
class KeyedStrings {
  private readonly values = new Map<string, Buffer>();
  private readonly nullValue: Buffer;
  /** The last value written and its bytes: the next access most often has the same. */
  private last: string | null = null;
  private lastBytes: Buffer;

  constructor(private readonly key: string) {
    this.nullValue = encoded(`,"${key}":null`);
    this.lastBytes = this.nullValue;
  }

  write(out: JsonBytes, x: string | null): void {
    if (x === this.last) { out.bytes(this.lastBytes); return; }
    if (x === null) { out.bytes(this.nullValue); return; }
    let j = this.values.get(x);
    if (j === undefined) {
      if (this.values.size >= MAX_STRINGS) this.values.clear();
      j = encoded(`,"${this.key}":${JSON.stringify(x)}`);
      this.values.set(x, j);
    }
    this.last = x;
    this.lastBytes = j;
    out.bytes(j);
  }
}

// The message's fixed parts, in JSON.stringify's key order (wire-message.ts, body()).
const K = {
  seq: encoded('{"type":"access","seq":'), index: encoded(',"index":'), ts: encoded(',"ts":'),
  phase: encoded(',"phase":'), off: encoded(',"off":'), size: encoded(',"size":'),
  old: encoded(',"old":'), new: encoded(',"new":'), stack: encoded(',"stack":'),
  cpu: encoded(',"cpu":'), pid: encoded(',"pid":'), line: encoded(',"line":'),
  staleTrue: encoded(',"oldStale":true'), staleFalse: encoded(',"oldStale":false'),
  knownTrue: encoded(',"known":true'), knownFalse: encoded(',"known":false'),
  end: encoded('}'),
};

export class AccessJson {
  private readonly stacks = new WeakMap<readonly string[], Buffer>();
  private readonly phases = new WeakMap<PhaseRef, Buffer>();
  private readonly bdf = new KeyedStrings('bdf');
  private readonly op = new KeyedStrings('op');
  private readonly register = new KeyedStrings('register');
  private readonly mnemonic = new KeyedStrings('mnemonic');
  private readonly callSite = new KeyedStrings('callSite');
  private readonly fn = new KeyedStrings('fn');
  private readonly layer = new KeyedStrings('layer');
  private readonly comm = new KeyedStrings('comm');
  private readonly attributed = new KeyedStrings('attributed');

  private stack(out: JsonBytes, s: readonly string[] | null): void {
    if (s === null) { out.bytes(encodedNull); return; }
    let j = this.stacks.get(s);
    if (j === undefined) { j = encoded(JSON.stringify(s)); this.stacks.set(s, j); }
    out.bytes(j);
  }

  private phase(out: JsonBytes, p: PhaseRef): void {
    let j = this.phases.get(p);
    if (j === undefined) { j = encoded(JSON.stringify(p)); this.phases.set(p, j); }
    out.bytes(j);
  }

  private static num(out: JsonBytes, x: number | null): void {
    if (x === null) out.bytes(encodedNull); else out.number(x);
  }

  /** The message's bytes, appended to `out`. */
  write(out: JsonBytes, seq: number, e: AccessEvent): void {
    const a = e.access;
    const num = AccessJson.num;
    out.bytes(K.seq); out.number(seq);
    out.bytes(K.index); out.number(e.index);
    out.bytes(K.ts); num(out, a.ts);
    out.bytes(K.phase); this.phase(out, e.phase);
    this.bdf.write(out, e.bdf);
    this.op.write(out, a.op);
    out.bytes(K.off); num(out, a.off);
    out.bytes(K.size); out.number(a.size);
    this.register.write(out, e.register);
    this.mnemonic.write(out, e.mnemonic);
    out.bytes(K.old); num(out, e.old);
    out.bytes(K.new); num(out, a.val);
    out.bytes(e.oldStale ? K.staleTrue : K.staleFalse);
    this.callSite.write(out, e.callSite);
    out.bytes(K.stack); this.stack(out, e.stack);
    this.fn.write(out, a.fn);
    this.layer.write(out, a.layer);
    out.bytes(a.known ? K.knownTrue : K.knownFalse);
    out.bytes(K.cpu); num(out, a.cpu);
    out.bytes(K.pid); num(out, a.pid);
    this.comm.write(out, a.comm);
    out.bytes(K.line); num(out, a.line ?? null);
    // JSON.stringify leaves out a key whose value is undefined; the body leaves out a false one.
    if (a.attributed) this.attributed.write(out, a.attributed);
    out.bytes(K.end);
  }

  /** The message as text (tests; the server sends the bytes). */
  text(seq: number, e: AccessEvent): string {
    const out = new JsonBytes(1024);
    this.write(out, seq, e);
    return out.take().toString('utf8');
  }
}
