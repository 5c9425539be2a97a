// A raw trace or capture file as an Observable of capture records: detect the format from the
// head, then stream the file through that format's parser. Records are emitted synchronously
// per chunk, so memory stays flat however long the file is.

import { lastValueFrom, Observable, toArray } from 'rxjs';
import type { CaptureRecord } from '../model/records.js';
import { StackTable } from '../model/stack-table.js';
import { detectFormat, formatByKind } from '../parsers/index.js';
import { HEAD_LINES, type InputFormat } from '../parsers/parser.js';
import { fileChunks } from './file-chunks.js';
import { inputError, readHead } from './file-head.js';
import { parserFeed } from './parser-feed.js';

export interface FileSourceOptions {
  /** Force a format instead of detecting it. */
  format?: string;
}

export async function resolveFormat(file: string, opts: FileSourceOptions = {}): Promise<InputFormat> {
  if (opts.format) return formatByKind(opts.format);
  return detectFormat(await readHead(file, HEAD_LINES), file);
}

export function recordsFromFile(file: string, format: InputFormat): Observable<CaptureRecord> {
  return new Observable<CaptureRecord>((subscriber) => {
    let closed = false;
    const parser = format.create({ file, stacks: new StackTable() }, (r) => subscriber.next(r));
    const feed = parserFeed(parser);
    (async () => {
      try {
        for await (const chunk of fileChunks(file, 1 << 20)) {
          if (closed) return;
          feed.push(chunk);
        }
        feed.end();
        parser.end();
        subscriber.complete();
      } catch (e) {
        const err = inputError(e, file, feed.lines);
        subscriber.error(err);
      }
    })();
    // Unsubscribing (Ctrl-C, a downstream error) stops reading: the loop leaves once the read in
    // flight completes, which closes the file.
    return () => {
      closed = true;
    };
  });
}

/** Every record of a (small) file, format detected: for side inputs such as a device-side log. */
export async function readAll(file: string): Promise<CaptureRecord[]> {
  return lastValueFrom(recordsFromFile(file, await resolveFormat(file)).pipe(toArray()));
}
