// What keeps one request or client from stopping the server: its handlers run guarded, and an
// unexpected exception refuses what was being handled, counted and reported (docs/security.md).

export class InternalErrors {
  count = 0;

  constructor(private readonly report?: (e: unknown) => void) {}

  /** Counts `e` and tells the reporter (`onInternalError`); a failing reporter fails nothing. */
  caught(e: unknown): void {
    this.count++;
    try { this.report?.(e); } catch { /* a failing reporter must not fail the server */ }
  }

  /** `handler`, which on throwing refuses what it was handling (`fail`) instead of throwing. */
  guard<A extends unknown[]>(handler: (...a: A) => void, fail: (...a: A) => void): (...a: A) => void {
    return (...a: A): void => {
      try { handler(...a); } catch (e) {
        this.caught(e);
        try { fail(...a); } catch { /* already going */ }
      }
    };
  }
}
