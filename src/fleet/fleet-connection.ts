// Connecting to NATS and making sure the stream exists. The client is loaded on first use
// (dynamic import), so commands run without --publish never load it: publishing must cost nothing
// to those who do not publish.

import type { NatsConnection } from '@nats-io/transport-node';
import type { JetStreamClient, JetStreamManager, StreamConfig } from '@nats-io/jetstream';
import { CfgscopeError } from '../model/errors.js';
import type { NatsTarget } from './nats-target.js';
import { STREAM_NAME, SUBJECT_ROOT } from './fleet-subjects.js';

export interface FleetConnection {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

/** Stream limits (docs/fleet.md): a JetStream stream keeps what it is told to and no more. */
export interface StreamLimits {
  replicas: number;
  /** Seconds a message is kept; 0 = no age limit. */
  maxAgeSeconds: number;
  /** Bytes the stream may hold before the oldest messages go; -1 = no limit. */
  maxBytes: number;
  /** Seconds during which a message id is remembered (the exactly-once window). */
  duplicateWindowSeconds: number;
}

export const DEFAULT_LIMITS: StreamLimits = { replicas: 1, maxAgeSeconds: 30 * 86400, maxBytes: -1, duplicateWindowSeconds: 600 };

export function limitsFromEnv(env: NodeJS.ProcessEnv = process.env): StreamLimits {
  const num = (name: string, dflt: number): number => {
    const v = env[name];
    if (v === undefined || v === '') return dflt;
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new CfgscopeError('FLEET_BAD_ENV', `${name}=${JSON.stringify(v)} is not a whole number`);
    return n;
  };
  return {
    replicas: num('CFGSCOPE_NATS_REPLICAS', DEFAULT_LIMITS.replicas),
    maxAgeSeconds: num('CFGSCOPE_NATS_MAX_AGE', DEFAULT_LIMITS.maxAgeSeconds),
    maxBytes: num('CFGSCOPE_NATS_MAX_BYTES', DEFAULT_LIMITS.maxBytes),
    duplicateWindowSeconds: num('CFGSCOPE_NATS_DUPLICATE_WINDOW', DEFAULT_LIMITS.duplicateWindowSeconds),
  };
}

export async function streamConfig(limits: StreamLimits): Promise<Partial<StreamConfig> & { name: string }> {
  const { RetentionPolicy, StorageType, DiscardPolicy } = await import('@nats-io/jetstream');
  const ns = (s: number): number => s * 1_000_000_000;
  return {
    name: STREAM_NAME,
    subjects: [`${SUBJECT_ROOT}.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    num_replicas: limits.replicas,
    max_age: ns(limits.maxAgeSeconds),
    max_bytes: limits.maxBytes,
    duplicate_window: ns(limits.duplicateWindowSeconds),
  };
}

/** One attempt; throws when the server cannot be reached within `timeoutMs`. The connection then
 *  reconnects by itself for ever (a publisher outlives a server restart). */
export async function connectFleet(target: NatsTarget, timeoutMs: number, name: string): Promise<FleetConnection> {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstream, jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({
    servers: target.servers,
    name,
    timeout: timeoutMs,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    ...(target.user !== undefined ? { user: target.user } : {}),
    ...(target.pass !== undefined ? { pass: target.pass } : {}),
    ...(target.token !== undefined ? { token: target.token } : {}),
    ...(target.tls ? { tls: target.tls } : {}),
  });
  try {
    // Asks the server for the account's JetStream info: a cluster electing its leaders may not
    // answer in time. The connection is closed then, or its reconnecting would keep the process
    // alive after the command is done.
    const jsm = await jetstreamManager(nc, { timeout: timeoutMs });
    return { nc, js: jetstream(nc, { timeout: timeoutMs }), jsm };
  } catch (e) {
    await nc.close().catch(() => undefined);
    throw e;
  }
}

/** Creates the stream when it is missing; an existing one is used as it is (its limits are the
 *  operator's: docs/fleet.md). */
export async function ensureStream(c: FleetConnection, limits: StreamLimits): Promise<void> {
  try {
    await c.jsm.streams.info(STREAM_NAME);
  } catch (e) {
    if (!/not found/i.test(String((e as Error).message))) throw e;
    await c.jsm.streams.add(await streamConfig(limits));
  }
}

export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The server refused who we are (wrong user, password or token; the NATS client's
 *  AuthorizationError, also an expired account or an authentication timeout): asking again
 *  with the same credentials cannot succeed, unlike a server that is down. */
export const isAuthRefusal = (e: unknown): boolean =>
  (e instanceof Error && e.name === 'AuthorizationError') || /authorization violation|authentication (expired|timeout)/i.test(errorText(e));

/** Errors a cluster gives while it elects a leader (a node just died) or is too busy to answer
 *  in time: worth asking again. */
const TRANSIENT = /timeout|no responders|leader|not available|temporarily|heartbeats missed/i;

export const isTransient = (e: unknown): boolean => TRANSIENT.test(errorText(e));

/** Runs `f` until it succeeds or `ms` have passed; errors other than transient ones at once. */
export async function retryTransient<T>(ms: number, f: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    try {
      return await f();
    } catch (e) {
      if (!isTransient(e) || Date.now() - t0 > ms) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
