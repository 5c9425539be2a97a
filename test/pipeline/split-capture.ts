// Splits one kexec capture into the two captures a real machine has: the old kernel's (everything
// before the first `boot` record) and the new kernel's (the handover and the kernel after it, with
// the stack definitions it refers to), or rewrites one real capture with a deliberate difference.
// Each gets its own complete trailer, so neither reads as cut off. `edit` may change the records.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { countRecord, emptyCounts, type CaptureRecord } from '../../src/model/records.js';

type Edit = (r: CaptureRecord) => CaptureRecord | null;

function write(file: string, records: CaptureRecord[]): void {
  const counts = emptyCounts();
  for (const r of records) countRecord(counts, r);
  writeFileSync(file, [...records, { t: 'trailer', counts, complete: true }].map((r) => JSON.stringify(r)).join('\n') + '\n');
}

export function splitCapture(capture: string, dir: string, edit: { old?: Edit; next?: Edit; nextFirst?: CaptureRecord[] } = {}): { old: string; next: string } {
  const all = readFileSync(capture, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as CaptureRecord)
    .filter((r) => r.t !== 'trailer' && r.t !== 'source-count');
  const at = all.findIndex((r) => r.t === 'boot');
  if (at < 0) throw new Error(`${capture} has no boot record`);
  const keep = (list: CaptureRecord[], e?: Edit): CaptureRecord[] => list.map((r) => (e ? e(r) : r)).filter((r): r is CaptureRecord => r !== null);
  const header = all[0]!;
  const old = keep(all.slice(0, at), edit.old);
  const stacks = all.slice(1, at).filter((r) => r.t === 'stack');
  const next = [header, ...(edit.nextFirst ?? []), ...stacks, ...keep(all.slice(at), edit.next)];
  const files = { old: join(dir, 'kernel1.capture.ndjson'), next: join(dir, 'kernel2.capture.ndjson') };
  write(files.old, old);
  write(files.next, next);
  return files;
}

/**
 * One real capture rewritten with a test's deliberate difference (`edit` per record, `first`
 * records put after the header), with its trailer counted again so it still reads as complete.
 */
export function rewriteCapture(capture: string, file: string, change: { edit?: Edit; first?: CaptureRecord[] }): string {
  const all = readFileSync(capture, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as CaptureRecord)
    .filter((r) => r.t !== 'trailer' && r.t !== 'source-count');
  const edit = change.edit ?? ((r: CaptureRecord): CaptureRecord => r);
  const body = all.slice(1).map(edit).filter((r): r is CaptureRecord => r !== null);
  write(file, [all[0]!, ...(change.first ?? []), ...body]);
  return file;
}
