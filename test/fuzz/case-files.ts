// Files of one fuzz case: digests to prove an input was not touched, listings to find leftovers.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** sha256 of a regular file's bytes; `dir`, `missing` or `symlink->...` otherwise. */
export function digest(path: string): string {
  if (!existsSync(path)) return 'missing';
  if (statSync(path).isDirectory()) return 'dir';
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Names in a folder, recursively, symlinks not followed. */
export function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const rel = prefix ? `${prefix}/${name}` : name;
    out.push(rel);
    const st = lstatSync(join(dir, name));
    if (st.isDirectory()) out.push(...listFiles(join(dir, name), rel));
  }
  return out.sort();
}

/** NDJSON records of a capture (lines that do not parse are left out). */
export function records(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a cut-off last line: not a record
    }
  }
  return out;
}

/** A finding of `check --json` reduced to what a verdict is: who, what, old -> new, which rule. */
export function verdictKey(r: Record<string, unknown>): string {
  const rule = r['rule'] as { id?: string } | undefined;
  const device = r['device'] as { bdf?: string } | undefined;
  return JSON.stringify([r['type'], r['verdict'], rule?.id, device?.bdf, r['register'], r['old'], r['new'], r['change'], r['callSite'], r['index'], r['phase']]);
}

/** The verdicts of a `check --json` output, in order. */
export function verdicts(stdout: string): string[] {
  return records(stdout).filter((r) => r['type'] === 'finding' || r['type'] === 'target' || r['type'] === 'unattributed').map(verdictKey);
}
