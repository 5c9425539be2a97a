// Options given several times (`--policy a --policy b`). Repeatable rather than variadic, because
// a variadic option would swallow the positional argument after it (`--policy x capture`).

export const repeatable = (value: string, previous: string[] = []): string[] => [...previous, value];
