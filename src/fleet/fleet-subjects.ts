// The stream and its subjects: `cfgscope.<machine>.<run>.<kind>`, so a consumer can ask for one
// kind across the fleet (`cfgscope.*.*.finding`) or everything of one machine
// (`cfgscope.<machine>.>`) without reading the rest. nats-server 2.9 filters a consumer on one
// subject only: that is why the kind is the last token and each finding carries its own kernel
// release and device identity (a reader of findings needs no header).

import { UsageError } from '../model/errors.js';

export const STREAM_NAME = 'CFGSCOPE';
export const SUBJECT_ROOT = 'cfgscope';

/** A subject token: letters, digits, `-` and `_` (`.` splits tokens, `*`/`>` are wildcards,
 *  whitespace ends a subject). Machine and run names are checked against it, never rewritten:
 *  two machines must not end up under one name. */
const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

export function checkToken(value: string, what: string): string {
  if (!TOKEN.test(value)) {
    throw new UsageError('FLEET_BAD_NAME', `${what} ${JSON.stringify(value)}: use 1 to 64 letters, digits, '-' or '_' (it is a subject token: cfgscope.<machine>.<run>.<kind>)`);
  }
  return value;
}

/** The host name as a subject token: the part before the first dot, other characters as `_`. */
export function defaultMachine(hostname: string): string {
  const t = hostname.split('.')[0]!.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
  return t === '' ? 'unknown-host' : t;
}

/** A run name that sorts by time: `20261202T135001Z-3f9a`. */
export function defaultRun(now: Date, random: number): string {
  const iso = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${iso}-${Math.floor(random * 0x10000).toString(16).padStart(4, '0')}`;
}

export const subjectOf = (machine: string, run: string, kind: string): string => `${SUBJECT_ROOT}.${machine}.${run}.${kind}`;

/** Record types are subject tokens as they are, `source-count` included. */
export const kindToken = (kind: string): string => kind.replace(/[^A-Za-z0-9_-]/g, '_');

export const FINDINGS_FILTER = `${SUBJECT_ROOT}.*.*.finding`;
