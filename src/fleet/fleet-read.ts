// Reading the fleet's findings: a durable pull consumer on `cfgscope.*.*.finding`, read from the
// start (or --since) up to what the stream held when the query began. Durable, so a read of
// millions of messages that loses its server mid-way (a reconnect, a cluster leader change)
// resumes where the consumer was, on whichever node took over, instead of starting again.

import { CfgscopeError } from '../model/errors.js';
import type { FleetConnection } from './fleet-connection.js';
import { errorText, isTransient, retryTransient } from './fleet-connection.js';
import type { Consumer } from '@nats-io/jetstream';
import { FINDINGS_FILTER, STREAM_NAME } from './fleet-subjects.js';

export interface ReadOptions {
  durable: string;
  /** Wall-clock milliseconds: messages stored before it are not delivered. */
  since?: number;
  /** Keep the consumer after the read (a dashboard that reads on from where it was). */
  keep?: boolean;
}

/** Where a read starts: a stream sequence, a time, or (null) the stream's start. */
export type ReadStart = { seq: number } | { since: number } | null;

/** (Re)makes the durable consumer on the findings, starting at `start`; the one of a previous
 *  read under that name is replaced. Used by `fleet` and by `serve --from` (fleet-follow.ts). */
export async function openConsumer(c: FleetConnection, durable: string, start: ReadStart): Promise<Consumer> {
  const { AckPolicy, DeliverPolicy } = await import('@nats-io/jetstream');
  await c.jsm.consumers.delete(STREAM_NAME, durable).catch(() => undefined);
  // Right after a node died the cluster may still be electing leaders: asked again for 30 s.
  await retryTransient(30_000, () => c.jsm.consumers.add(STREAM_NAME, {
    durable_name: durable,
    ack_policy: AckPolicy.None,
    filter_subject: FINDINGS_FILTER,
    ...(start === null ? { deliver_policy: DeliverPolicy.All }
      : 'seq' in start ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start.seq }
        : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(start.since).toISOString() }),
    // Left behind by a reader that was killed: the server removes it after 10 idle minutes.
    inactive_threshold: 600 * 1_000_000_000,
  }));
  return c.js.consumers.get(STREAM_NAME, durable);
}

/** A message's JSON, null when it is not JSON (counted as unreadable by the tally). */
export function messageJson(m: { json<T>(): T }): unknown {
  try {
    return m.json();
  } catch {
    return null;
  }
}

export async function readFindings(c: FleetConnection, opts: ReadOptions, onMessage: (json: unknown, storedMs: number) => void): Promise<void> {
  try {
    await retryTransient(30_000, () => c.jsm.streams.info(STREAM_NAME));
  } catch (e) {
    if (/not found/i.test(errorText(e))) throw new CfgscopeError('FLEET_NO_STREAM', `the server has no ${STREAM_NAME} stream: nothing was published to it yet (--publish)`);
    throw e;
  }
  // A fresh read each query: the consumer of a previous query (another --since) is replaced.
  // The read goes on from `next`, the first stream sequence not yet handed on: when a node dies
  // mid-read the consumer's fetches fail ("heartbeats missed") while its group elects a leader,
  // and messages already sent to this client but not received are never sent again (no acks);
  // so the consumer is made again from `next` instead (what an ordered consumer does).
  let next: number | null = null;
  const open = (): Promise<Consumer> => openConsumer(c, opts.durable, next !== null ? { seq: next } : opts.since !== undefined ? { since: opts.since } : null);
  try {
    let consumer = await open();
    let pending = (await retryTransient(30_000, () => consumer.info())).num_pending;
    let progressAt = Date.now();
    while (pending > 0) {
      let got = 0;
      try {
        const batch = await consumer.fetch({ max_messages: Math.min(pending, 1000), expires: 5000 });
        for await (const m of batch) {
          if (next !== null && m.seq < next) continue; // sent again after a re-made consumer
          onMessage(messageJson(m), Math.floor(m.info.timestampNanos / 1_000_000));
          next = m.seq + 1;
          got++;
        }
        pending = got === 0 ? (await consumer.info()).num_pending : pending - got;
      } catch (e) {
        // A minute without one message read: the cluster is not coming back; said, not waited on.
        if (!isTransient(e) || Date.now() - progressAt > 60_000) throw e;
        await new Promise((r) => setTimeout(r, 500));
        consumer = await retryTransient(30_000, open);
        pending = (await retryTransient(30_000, () => consumer.info())).num_pending;
      }
      if (got > 0) progressAt = Date.now();
    }
  } finally {
    if (!opts.keep) await c.jsm.consumers.delete(STREAM_NAME, opts.durable).catch(() => undefined);
  }
}
