// Types of nats-servers.mjs (plain JavaScript so the bench, a node script, runs it too).
import type { ChildProcess } from 'node:child_process';

export declare const NATS_SERVER: string;
export declare function freePort(): Promise<number>;

export interface NatsNode {
  name: string;
  port: number;
  url: string;
  proc: ChildProcess | null;
  log: string;
  start(): Promise<void>;
  /** SIGKILL: the node dies as a crashed machine would. */
  kill(): Promise<void>;
}

export interface NatsSetup {
  nodes: NatsNode[];
  /** Every node's URL, comma-separated, as --publish and --server take them. */
  urls: string;
  dir: string;
  stop(): Promise<void>;
}

export declare function startSingle(): Promise<NatsSetup>;
/** A single server's port and store, not started yet (a machine publishing before it is up). */
export declare function plannedSingle(): Promise<NatsSetup>;
export declare function startCluster(): Promise<NatsSetup>;
/** A single server that asks for a user and password (nats-server --user --pass). */
export declare function startSingleWithUser(user: string, pass: string): Promise<NatsSetup>;
