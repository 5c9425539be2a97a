// The registry of input formats. Order matters: the most specific detectors come first (a packed
// capture's magic line, a capture's header line, the bpftrace banner), ftrace last because
// console logs are noisy.

import { CfgscopeError } from '../model/errors.js';
import { bpftraceFormat } from './bpftrace.js';
import { captureFormat } from './capture.js';
import { ftraceFormat } from './ftrace.js';
import type { InputFormat } from './parser.js';
import { packedFormat } from './packed.js';
import { qemuFormat } from './qemu.js';

export const FORMATS: readonly InputFormat[] = [packedFormat, captureFormat, bpftraceFormat, qemuFormat, ftraceFormat];

export function formatByKind(kind: string): InputFormat {
  const f = FORMATS.find((x) => x.kind === kind);
  if (!f) throw new CfgscopeError('UNKNOWN_FORMAT', `no input format "${kind}"; known: ${FORMATS.map((x) => x.kind).join(', ')}`);
  return f;
}

/** Picks the format of an input from its first lines; throws INPUT_UNKNOWN_FORMAT when none claims it. */
export function detectFormat(head: readonly string[], file: string): InputFormat {
  const f = FORMATS.find((x) => x.detect(head));
  if (!f) {
    throw new CfgscopeError('INPUT_UNKNOWN_FORMAT',
      `not a format cfgscope reads (${FORMATS.map((x) => x.kind).join(', ')}); see docs/capture-format.md`, { file, line: 1 });
  }
  return f;
}
