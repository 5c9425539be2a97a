// `cfgscope --version`: the version in package.json, read from the installed package itself so it
// cannot drift from what npm installed. The file sits two folders up from src/cli, dist/cli and
// dist/bundle alike.

import { readFileSync } from 'node:fs';

export function packageVersion(url: URL = new URL('../../package.json', import.meta.url)): string {
  const pkg = JSON.parse(readFileSync(url, 'utf8')) as { version?: unknown };
  // A package without a version is a broken install, not bad input: INTERNAL (70).
  if (typeof pkg.version !== 'string') throw new Error(`${url.pathname} has no version`);
  return pkg.version;
}
