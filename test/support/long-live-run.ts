// A long live run for the stalled-client tests (test/watch, test/web): the real capture's events,
// judged by luo-default with PRESERVE preserved, passed `passes` times into the server library as
// a live source, so the stream outgrows what the kernel's socket buffers hold for a stalled reader.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Subject } from 'rxjs';
import { loadPolicies } from '../../src/policy/load-policy.js';
import { capturePass, type CaptureStreamOptions } from '../../src/server/capture-stream.js';
import { serveEvents, type ServeHandle } from '../../src/server/serve-events.js';
import type { ServedEvent } from '../../src/server/wire-message.js';
import { resolveFormat } from '../../src/sources/records-from-file.js';
import { PRESERVE, QEMU_BASIC } from './serve-process.js';

export interface LongLiveRun {
  server: ServeHandle;
  /** Publishes every pass, 100 events per turn; only the last pass carries the stream's end. */
  feed(): Promise<void>;
}

export async function longLiveRun(id: string, passes: number): Promise<LongLiveRun> {
  const { policy } = await loadPolicies(['luo-default']);
  policy.preserved.push({ bdf: PRESERVE });
  const stream: CaptureStreamOptions = { file: QEMU_BASIC, format: await resolveFormat(QEMU_BASIC), policy, devices: [] };
  const pass: ServedEvent[] = [];
  for await (const batch of capturePass(stream)) pass.push(...batch);
  const middle = pass.filter((e) => e.kind !== 'end');
  const source = new Subject<ServedEvent>();
  const server = await serveEvents({
    source, meta: { id, kind: 'live', policy: null },
    listen: { host: '127.0.0.1', port: 0 }, bufferBytes: 16 * 1024, ringSize: passes * pass.length,
  });
  return {
    server,
    async feed() {
      for (let p = 0; p < passes; p++) {
        const events = p + 1 < passes ? middle : pass;
        for (let i = 0; i < events.length; i += 100) {
          for (const e of events.slice(i, i + 100)) source.next(e);
          await nextTurn();
        }
      }
      source.complete();
    },
  };
}
