// Following the fleet's findings for `serve --from nats://`: the same durable consumer as `fleet`
// (fleet-read.ts), read for as long as the server runs instead of up to what the stream held.
// It never gives up: a NATS server that is not there yet, goes away or restarts, and a stream
// nobody has published to yet are waited for, and each is said (onState) so that the page can
// say the feed is stalled instead of showing stale counts as if they were current.
//
// The read goes on from `next`, the first stream sequence not yet handed on, whatever happened
// in between: a re-made consumer starts there, so nothing is counted twice or skipped.

import type { Consumer } from '@nats-io/jetstream';
import { connectFleet, errorText, type FleetConnection } from './fleet-connection.js';
import { messageJson, openConsumer } from './fleet-read.js';
import { STREAM_NAME } from './fleet-subjects.js';
import type { NatsTarget } from './nats-target.js';

export type FeedState = 'connecting' | 'waiting-for-stream' | 'live' | 'stalled';

export interface FollowOptions {
  target: NatsTarget;
  durable: string;
  /** Wall-clock milliseconds: the consumer starts at that time in the stream (--since). */
  since?: number;
  signal: AbortSignal;
  onMessage: (json: unknown) => void;
  /** Called on every attempt's outcome; the caller keeps only changes. */
  onState: (state: FeedState, reason: string | null) => void;
  /** Between attempts while the server or the stream is missing (default 1000 ms). */
  retryMs?: number;
  /** How long one pull waits for findings (default 2000 ms; its heartbeats are half of it, so a
   *  server that died is noticed within about this long). */
  pullMs?: number;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> => new Promise((resolve) => {
  if (signal.aborted) { resolve(); return; }
  const t = setTimeout(() => { signal.removeEventListener('abort', done); resolve(); }, ms);
  const done = (): void => { clearTimeout(t); resolve(); };
  signal.addEventListener('abort', done, { once: true });
});

/** Connects, trying again every `retryMs` until it works or `signal` aborts (then null). */
async function connectForever(o: FollowOptions, retryMs: number): Promise<FleetConnection | null> {
  for (;;) {
    if (o.signal.aborted) return null;
    try {
      return await connectFleet(o.target, 5000, 'cfgscope serve --from');
    } catch (e) {
      o.onState('connecting', `cannot reach ${o.target.display}: ${errorText(e)}; trying again`);
      await sleep(retryMs, o.signal);
    }
  }
}

/** Runs until `signal` aborts; never throws for what the server does. */
export async function followFindings(o: FollowOptions): Promise<void> {
  const retryMs = o.retryMs ?? 1000;
  const pullMs = o.pullMs ?? 2000;
  o.onState('connecting', `connecting to ${o.target.display}`);
  const c = await connectForever(o, retryMs);
  if (c === null) return;
  let connected = true;
  // The client reconnects by itself (for ever); meanwhile the feed is stalled, and said so.
  void (async () => {
    for await (const s of c.nc.status()) {
      if (s.type === 'disconnect') { connected = false; o.onState('stalled', `lost the connection to ${o.target.display}; reconnecting`); }
      if (s.type === 'reconnect') { connected = true; o.onState('stalled', `reconnected to ${o.target.display}; reading again`); }
    }
  })().catch(() => undefined);
  let pulling: { stop(err?: Error): void } | null = null;
  const stop = (): void => pulling?.stop();
  o.signal.addEventListener('abort', stop, { once: true });

  let next: number | null = null;
  let consumer: Consumer | null = null;
  try {
    while (!o.signal.aborted) {
      try {
        if (consumer === null) {
          try {
            await c.jsm.streams.info(STREAM_NAME);
          } catch (e) {
            if (!/not found/i.test(errorText(e))) throw e;
            o.onState('waiting-for-stream', `${o.target.display} has no ${STREAM_NAME} stream yet: waiting for the first --publish`);
            await sleep(retryMs, o.signal);
            continue;
          }
          consumer = await openConsumer(c, o.durable, next !== null ? { seq: next } : o.since !== undefined ? { since: o.since } : null);
          if (connected) o.onState('live', null);
        }
        const batch = await consumer.fetch({ max_messages: 1000, expires: pullMs });
        pulling = batch;
        // A pull the client never hears the end of (the connection went away mid-pull) is ended
        // here: the read goes on, from `next`, with a new one.
        const watchdog = setTimeout(() => batch.stop(new Error('the server stopped answering')), pullMs * 3);
        try {
          for await (const m of batch) {
            if (next !== null && m.seq < next) continue; // sent again after a re-made consumer
            o.onMessage(messageJson(m));
            next = m.seq + 1;
          }
        } finally {
          clearTimeout(watchdog);
          pulling = null;
        }
        if (connected) o.onState('live', null);
      } catch (e) {
        if (o.signal.aborted) break;
        // While the connection is down its own reason stands (a pull's timeout says less).
        if (connected) o.onState('stalled', `reading ${o.target.display}: ${errorText(e)}; trying again`);
        consumer = null;
        await sleep(retryMs, o.signal);
      }
    }
  } finally {
    o.signal.removeEventListener('abort', stop);
    // The consumer is removed when the server answers within a second (else the server removes
    // it after 10 idle minutes): shutting down does not wait for a server that is gone.
    if (connected) await Promise.race([c.jsm.consumers.delete(STREAM_NAME, o.durable).catch(() => undefined), sleep(1000, new AbortController().signal)]);
    await c.nc.close().catch(() => undefined);
  }
}
