// The EDITED variant of the QEMU fixture's serial console (test/fixtures/diff/README.md): the same
// run with the PHASE[2] "insmod nvme" section's trace events cut, imported exactly as the bundled
// capture was (replays/README.md). Derived on the fly from the real file, so it cannot drift.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../cli/run-cli.js';

const root = new URL('../../', import.meta.url).pathname;
const FIXTURE = `${root}test/fixtures/qemu-6.1-q35-basic`;

/** 1-based, inclusive: from the first event after PHASE[2]'s marker (line 17011) and its SMBus
 *  marker read (17012-17020) to the last line before PHASE[3]'s marker (17698). */
export const CUT = { marker: 17011, first: 17021, last: 17697 } as const;

export function cutNvmeInsmod(serial: string): { kept: string; cut: string[] } {
  const lines = serial.split('\n');
  const cut = lines.slice(CUT.first - 1, CUT.last);
  // The cut must be exactly the section it claims to be, or the fixture changed under us.
  if (!lines[CUT.marker - 1]!.includes('tracing_mark_write: PHASE[2] insmod nvme') || !lines[CUT.last]!.includes('tracing_mark_write: PHASE[3] insmod virtio')) {
    throw new Error('serial.log no longer has the PHASE[2] section at the documented lines');
  }
  return { kept: [...lines.slice(0, CUT.first - 1), ...lines.slice(CUT.last)].join('\n'), cut };
}

/** Writes the edited serial.log and imports it; returns the capture's path. */
export async function importWithoutNvmeInsmod(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'cfgscope-diff-'));
  const serial = join(dir, 'serial.no-nvme-insmod.EDITED.log');
  writeFileSync(serial, cutNvmeInsmod(readFileSync(`${FIXTURE}/serial.log`, 'utf8')).kept);
  const capture = join(dir, 'no-nvme-insmod.capture.ndjson');
  const r = await runCli('import', serial, '--devices', `${FIXTURE}/qemu-trace.log`, '--attribute', `${FIXTURE}/qemu-trace.log`, '-o', capture);
  if (r.code !== 0) throw new Error(`import failed: ${r.stderr}`);
  return capture;
}
