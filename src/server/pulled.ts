// An async sequence (a pass over a capture file, read a chunk at a time) as an Observable that
// asks for the next item only once `each` has finished with the previous one: RxJS has no
// backpressure, so a paced replay of a large file would otherwise read it all ahead into memory.
// With this, a replay at any speed holds one chunk. Unsubscribing stops the sequence (return()).

import { concatMap, defer, EMPTY, finalize, of, repeat, type Observable, type OperatorFunction } from 'rxjs';

export function pulled<T, R>(items: () => AsyncIterable<T>, each: OperatorFunction<T, R>): Observable<R> {
  return defer(() => {
    const it = items()[Symbol.asyncIterator]();
    let done = false;
    return defer(() => it.next()).pipe(
      concatMap((r) => {
        if (r.done) { done = true; return EMPTY; }
        return of(r.value).pipe(each);
      }),
      // The next item once this one's `each` completed; none after the last.
      repeat({ delay: () => (done ? EMPTY : of(0)) }),
      finalize(() => { if (!done) void it.return?.(undefined); }),
    );
  });
}
