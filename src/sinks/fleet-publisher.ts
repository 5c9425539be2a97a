// `--publish nats://...`: the run's records and findings to the JetStream stream. The pipeline
// hands over records synchronously; they are batched, appended to the spool file (the only place
// they wait) and a background loop sends the spool's messages and drops each once the server has
// acknowledged it. So a server that is down or restarting costs nothing but time: the loop
// reconnects, sends again from the last acknowledged message (ids make repeats harmless), and
// whatever is still unsent when the command ends stays in the spool for the next --publish.

import { fleetFinding, MESSAGE_VERSION } from '../fleet/fleet-message.js';
import { connectFleet, ensureStream, errorText, isAuthRefusal, type FleetConnection, type StreamLimits } from '../fleet/fleet-connection.js';
import { kindToken, subjectOf } from '../fleet/fleet-subjects.js';
import type { NatsTarget } from '../fleet/nats-target.js';
import type { SpoolFile } from '../fleet/spool-file.js';
import type { CaptureRecord, DeviceRecord } from '../model/records.js';
import type { CheckEvent } from '../pipeline/check-policy.js';

export interface PublishSettings {
  target: NatsTarget;
  machine: string;
  run: string;
  limits: StreamLimits;
  /** How long finish() waits for the server while it makes no progress. */
  waitMs: number;
}

export interface PublishOutcome {
  /** Messages the server acknowledged in this process (spooled ones from before included). */
  sent: number;
  /** Of those, messages the server already had (a retry or a drained spool). */
  duplicates: number;
  records: number;
  pendingBytes: number;
  lastError: string | null;
  /** The server refused the credentials: nothing more was tried (the same ones cannot succeed),
   *  the messages stay in the spool, and the command ends with FLEET_AUTH. */
  authRefused: boolean;
}

/** Stacks and nested hits travel with the accesses that refer to them: their own subject would
 *  cut every access batch at each new stack. */
const subjectKind = (t: string): string => (t === 'stack' || t === 'nested' ? 'access' : kindToken(t));

/** Records per access batch and its size: small enough for the server's 1 MiB message limit. */
const BATCH_RECORDS = 512;
const BATCH_BYTES = 256 * 1024;
/** Messages in flight at once, and bytes read from the spool per round. */
const WINDOW = 128;
const READ_BYTES = 4 * 1024 * 1024;

export class FleetPublisher {
  private seq = 0;
  private findingSeq = 0;
  private kernel: string | null = null;
  private batchKind: string | null = null;
  private batch: string[] = [];
  private batchBytes = 0;
  private batchSeq = 0;
  private readonly devices = new Map<string, DeviceRecord>();
  private conn: FleetConnection | null = null;
  private finishing = false;
  private stopped = false;
  private wake: (() => void) | null = null;
  private lastProgress = Date.now();
  private readonly loop: Promise<void>;
  private readonly out: PublishOutcome = { sent: 0, duplicates: 0, records: 0, pendingBytes: 0, lastError: null, authRefused: false };

  constructor(private readonly spool: SpoolFile, private readonly s: PublishSettings) {
    this.loop = this.drain();
  }

  get machine(): string { return this.s.machine; }
  get run(): string { return this.s.run; }
  get server(): string { return this.s.target.display; }
  get spoolPath(): string { return this.spool.path; }

  /** A capture record as the pipeline reads it (before any stage drops it). */
  record(r: CaptureRecord): void {
    if (r.t === 'header' && this.kernel === null) this.kernel = r.kernel?.release ?? null;
    if (r.t === 'device') this.devices.set(r.bdf, r);
    this.add(subjectKind(r.t), JSON.stringify(r));
  }

  /** What the policy said: findings, end-of-phase target checks, unattributed writes. */
  finding(e: CheckEvent): void {
    if (e.kind !== 'finding' && e.kind !== 'target' && e.kind !== 'unattributed') return;
    // One per message, at once (a dashboard waits for it, not for a batch to fill), numbered
    // apart from the records so they do not cut the access batches short.
    const seq = this.findingSeq++;
    this.out.records++;
    this.append('finding', seq, `f${seq}`, JSON.stringify(fleetFinding(e, this.devices)));
  }

  private add(kind: string, json: string): void {
    if (kind !== this.batchKind || this.batch.length >= BATCH_RECORDS || this.batchBytes + json.length > BATCH_BYTES) this.flush();
    if (this.batch.length === 0) {
      this.batchKind = kind;
      this.batchSeq = this.seq;
    }
    this.batch.push(json);
    this.batchBytes += json.length;
    this.seq++;
    this.out.records++;
  }

  private flush(): void {
    if (this.batch.length === 0 || this.batchKind === null) return;
    this.append(this.batchKind, this.batchSeq, String(this.batchSeq), this.batch.join(','));
    this.batch = [];
    this.batchBytes = 0;
  }

  private append(kind: string, seq: number, idSuffix: string, records: string): void {
    const { machine, run } = this.s;
    const head = JSON.stringify({ v: MESSAGE_VERSION, machine, run, kernel: this.kernel, kind, seq, at: Date.now() });
    this.spool.append(subjectOf(machine, run, kind), `${machine}.${run}.${idSuffix}`, `${head.slice(0, -1)},"r":[${records}]}`);
    this.wake?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.wake = null; resolve(); }, ms);
      this.wake = () => { clearTimeout(t); this.wake = null; resolve(); };
    });
  }

  private async drain(): Promise<void> {
    while (!this.stopped) {
      if (this.conn === null) {
        try {
          const c = await connectFleet(this.s.target, 2000, `cfgscope ${this.s.machine}`);
          try {
            await ensureStream(c, this.s.limits);
          } catch (e) {
            await c.nc.close();
            throw e;
          }
          this.conn = c;
        } catch (e) {
          this.out.lastError = errorText(e);
          if (isAuthRefusal(e)) {
            this.out.authRefused = true;
            return;
          }
          await this.sleep(300);
          continue;
        }
      }
      const msgs = this.spool.readPending(READ_BYTES).slice(0, WINDOW);
      if (msgs.length === 0) {
        if (this.finishing) return;
        await this.sleep(200);
        continue;
      }
      try {
        const js = this.conn.js;
        const acks = await Promise.all(msgs.map((m) => js.publish(m.subject, m.payload, { msgID: m.id, timeout: 5000 })));
        this.spool.ack(msgs[msgs.length - 1]!.end);
        this.out.sent += acks.length;
        this.out.duplicates += acks.filter((a) => a.duplicate).length;
        this.lastProgress = Date.now();
      } catch (e) {
        // Not acknowledged (server gone, a cluster electing a new leader): sent again from the
        // last acknowledged message once the client has reconnected.
        this.out.lastError = errorText(e);
        await this.sleep(250);
      }
    }
  }

  /** Sends what is left; waits while the server makes progress, at most waitMs without any.
   *  What it could not send stays in the spool (pendingBytes). */
  async finish(waitMs = this.s.waitMs): Promise<PublishOutcome> {
    // A batch the spool has no room for (FLEET_SPOOL_FULL) is said after the rest is closed.
    let unspooled: unknown = null;
    try {
      this.flush();
    } catch (e) {
      unspooled = e;
    }
    this.finishing = true;
    this.lastProgress = Date.now();
    try {
      while (this.spool.pendingBytes > 0 && !this.out.authRefused && Date.now() - this.lastProgress < waitMs) {
        this.wake?.();
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      this.stopped = true;
      this.wake?.();
      await this.loop;
      if (this.conn) await this.conn.nc.close().catch(() => undefined);
      this.out.pendingBytes = this.spool.pendingBytes;
      this.spool.close();
    }
    if (unspooled) throw unspooled;
    return { ...this.out };
  }
}
