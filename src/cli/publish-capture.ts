// `serve --publish`: the served capture is published once, as `check --publish` would (every
// record, every finding), at reading speed and apart from the replay: clients may watch it at
// recorded speed, the fleet needs it whole. Errors are said on stderr; serving goes on.

import { lastValueFrom, tap } from 'rxjs';
import { inventoryFrom } from '../identity/device-records.js';
import { enrichAndJudge } from '../pipeline/enrich-and-judge.js';
import type { Policy } from '../policy/policy-types.js';
import type { FleetPublisher } from '../sinks/fleet-publisher.js';
import type { InputFormat } from '../parsers/parser.js';
import { recordsFromFile } from '../sources/records-from-file.js';
import { isCfgscopeError } from '../model/errors.js';
import { printable } from '../model/escape-text.js';
import type { CliIo } from './cli-types.js';
import { finishPublishing } from './publish-options.js';

export async function publishCapture(file: string, format: InputFormat, policy: Policy, devices: string[], publisher: FleetPublisher, io: CliIo): Promise<void> {
  let failed = true;
  try {
    const inventory = await inventoryFrom(devices);
    await lastValueFrom(recordsFromFile(file, format).pipe(
      tap((r) => publisher.record(r)),
      enrichAndJudge(policy, { inventory }),
      tap((e) => publisher.finding(e)),
    ), { defaultValue: null });
    failed = false;
  } catch (e) {
    io.stderr(`cfgscope serve: publishing stopped: ${printable(isCfgscopeError(e) ? e.message : String(e))}\n`);
  } finally {
    // Serving goes on whatever the server answers: a refusal of the credentials is said (with its
    // code, FLEET_AUTH), not raised.
    await finishPublishing(publisher, io, failed ? 0 : undefined, false).catch((e: unknown) => io.stderr(`cfgscope serve: ${printable(String((e as Error).message ?? e))}\n`));
  }
}
