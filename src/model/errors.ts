// Errors with a stable code and a location. Codes are listed in docs/errors.md; tests assert them.

export interface Location {
  file?: string;
  line?: number;
  /** JSON path inside a policy or capture record, e.g. `$.rules[3].register`. */
  path?: string;
}

export class CfgscopeError extends Error {
  readonly code: string;
  readonly location: Location;

  constructor(code: string, message: string, location: Location = {}) {
    super(`${formatLocation(location)}${code}: ${message}`);
    this.name = 'CfgscopeError';
    this.code = code;
    this.location = location;
  }
}

export function formatLocation(loc: Location): string {
  const parts: string[] = [];
  if (loc.file !== undefined) parts.push(loc.line !== undefined ? `${loc.file}:${loc.line}` : loc.file);
  else if (loc.line !== undefined) parts.push(`line ${loc.line}`);
  if (loc.path !== undefined) parts.push(loc.path);
  return parts.length ? `${parts.join(' ')}: ` : '';
}

export const isCfgscopeError = (e: unknown): e is CfgscopeError => e instanceof CfgscopeError;

/** A command line that cannot be run as given (exit status 64, not 65): e.g. an output that is also an input. */
export class UsageError extends CfgscopeError {}
