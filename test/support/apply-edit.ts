// Applies an edited-scenario file (test/fixtures/edited/README.md) to its real base capture and
// writes the result as a capture file: the base's records, with the listed records inserted before
// the first base record matching `insertBefore`.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface EditFile {
  edited: true;
  base: string;
  insertBefore: Record<string, unknown>;
  records: Record<string, unknown>[];
}

const root = new URL('../../', import.meta.url).pathname;

export function applyEdit(editFile: string, outDir: string): string {
  const edit = JSON.parse(readFileSync(editFile, 'utf8')) as EditFile;
  if (edit.edited !== true) throw new Error(`${editFile}: not labelled "edited": true`);
  const lines = readFileSync(join(root, edit.base), 'utf8').split('\n').filter(Boolean);
  const at = lines.findIndex((l) => {
    const r = JSON.parse(l) as Record<string, unknown>;
    return Object.entries(edit.insertBefore).every(([k, v]) => r[k] === v);
  });
  if (at < 0) throw new Error(`${editFile}: no record of ${edit.base} matches insertBefore`);
  const inserted = edit.records.map((r) => JSON.stringify(r));
  const out = join(outDir, editFile.split('/').pop()!.replace(/\.json$/, '.capture.ndjson'));
  writeFileSync(out, `${[...lines.slice(0, at), ...inserted, ...lines.slice(at)].join('\n')}\n`);
  return out;
}
