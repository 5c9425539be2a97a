// Ctrl-C and SIGTERM end a long command cleanly: the stream stops where it is and the output
// file is closed with a trailer that says it is incomplete, so what was written stays readable.

import { fromEvent, merge, take, tap, type Observable } from 'rxjs';

export interface Interrupt {
  /** Emits once on the first SIGINT or SIGTERM. */
  signal$: Observable<unknown>;
  /** Which signal arrived, if any. */
  readonly received: NodeJS.Signals | null;
}

export function onInterrupt(): Interrupt {
  const state: { received: NodeJS.Signals | null } = { received: null };
  const signal$ = merge(
    fromEvent(process, 'SIGINT').pipe(tap(() => { state.received ??= 'SIGINT'; })),
    fromEvent(process, 'SIGTERM').pipe(tap(() => { state.received ??= 'SIGTERM'; })),
  ).pipe(take(1));
  return { signal$, get received() { return state.received; } };
}

/** Shell convention: 128 + signal number. */
export const exitCodeFor = (s: NodeJS.Signals): number => (s === 'SIGINT' ? 130 : 143);
