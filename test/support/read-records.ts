// Test helper: runs a real input file through the real source + parser and collects the records.

import { lastValueFrom, toArray } from 'rxjs';
import type { CaptureRecord } from '../../src/model/records.js';
import { recordsFromFile, resolveFormat } from '../../src/sources/records-from-file.js';

export async function readRecords(file: string, format?: string): Promise<CaptureRecord[]> {
  const fmt = await resolveFormat(file, format ? { format } : {});
  return lastValueFrom(recordsFromFile(file, fmt).pipe(toArray()));
}

export const fixture = (rel: string): string => new URL(`../fixtures/${rel}`, import.meta.url).pathname;
