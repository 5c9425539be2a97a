// The packed encoding of a capture (docs/capture-format.md, "Packed encoding"): the same records
// as the NDJSON form, but each access record the writer's parsers make is a fixed 64-byte frame
// and its short strings (comm, layer, fn, model) are numbered once. A large capture is about a
// quarter of the NDJSON size and is read without scanning text. Every other record (header,
// device, stack, phase, ...) and any access record that does not fit the fixed frame exactly is
// kept as its NDJSON line in a JSON frame, so the two encodings always hold the same records.
// This file is the layout both sides share: the encoder (src/sinks) and the decoder (./packed.ts).

import type { AccessRecord } from '../model/records.js';

/** First line of a packed capture; detection and a reader's first check. Version 2 adds checksum
 *  frames; version 1 files (no checksums) are still read. */
export const PACKED_MAGIC = 'cfgscope-packed 2';
export const PACKED_MAGIC_BYTES = Buffer.from(`${PACKED_MAGIC}\n`, 'latin1');
export const PACKED_MAGIC_V1 = 'cfgscope-packed 1';
export const PACKED_MAGIC_V1_BYTES = Buffer.from(`${PACKED_MAGIC_V1}\n`, 'latin1');

/** Frame tags (the first byte of every frame). */
export const TAG_ACCESS = 0x41; // 'A': fixed ACCESS_FRAME bytes
export const TAG_STRING = 0x53; // 'S': u16 length, UTF-8 bytes; numbered 0, 1, 2... in order
export const TAG_JSON = 0x4a; // 'J': u32 length, one NDJSON record line (no newline)
export const TAG_NESTED = 0x4e; // 'N': fixed NESTED_FRAME bytes
export const TAG_CHECK = 0x43; // 'C': u32 CRC-32 of every byte since the previous check frame (v2)

/** A check frame: tag and the CRC-32 (zlib's) of the bytes from the end of the previous check
 *  frame (the file's start for the first) to this frame's tag. */
export const CHECK_FRAME = 5;
/** The writer closes a checked block after this many bytes (at the next frame boundary): a bit
 *  flip costs the records of one block, about 250 access frames, never a silently changed one. */
export const CHECK_BLOCK = 16 << 10;

export const ACCESS_FRAME = 64;
/** tag, u8 of-is-null, u16 0, u32 layer string, u32 of, u32 line: a nested record's `t,layer,of,line`. */
export const NESTED_FRAME = 16;
export const NESTED_KEYS = 't,layer,of,line';
export const STRING_HEAD = 3;
export const JSON_HEAD = 5;
/** A JSON frame longer than this is corruption, not a record (device records are ~10 KB). */
export const JSON_MAX = 64 << 20;

/** Byte offsets inside an access frame (little-endian). */
export const A = {
  shape: 1, op: 2, size: 3, nulls: 4, flags: 6,
  ts: 8, cpu: 16, pid: 20, comm: 24, seg: 28, bus: 30, devfn: 31, off: 32, layer: 34,
  val: 36, ret: 40, fn: 44, stack: 48, line: 52, model: 56,
} as const;

/** Bits of the `nulls` word: the field is null. */
export const N = {
  ts: 1 << 0, cpu: 1 << 1, pid: 1 << 2, comm: 1 << 3, seg: 1 << 4, bus: 1 << 5, devfn: 1 << 6,
  off: 1 << 7, val: 1 << 8, ret: 1 << 9, fn: 1 << 10, stack: 1 << 11,
} as const;

/** Bits of the `flags` byte. */
export const F = { known: 1 << 0, sizeGuessed: 1 << 1 } as const;

const BASE = 't,ts,cpu,pid,comm,op,seg,bus,devfn,off,size,val,ret,layer,fn,stack,known';

/**
 * The key orders an access frame stands for, by shape number: the orders cfgscope's parsers and
 * `import --attribute` produce (kernel-side with and without a raw-input line, attributed, the
 * QEMU device log with and without lines). Key order is part of the record, because a capture
 * read back and written again must be the same bytes; an access with any other key order is
 * written as a JSON frame.
 */
export const ACCESS_SHAPES: readonly string[] = [
  `${BASE},line`,
  `${BASE},line,attributed`,
  `${BASE},sizeGuessed,model`,
  BASE.replace(',comm,', ',comm,model,') + ',line,sizeGuessed',
];

/** Which optional keys each shape has (in the order above). */
export interface ShapeKeys { line: boolean; attributed: boolean; sizeGuessed: boolean; model: boolean }

export const shapeKeys = (shape: number): ShapeKeys => {
  const keys = ACCESS_SHAPES[shape]!.split(',');
  return { line: keys.includes('line'), attributed: keys.includes('attributed'), sizeGuessed: keys.includes('sizeGuessed'), model: keys.includes('model') };
};

/** The only value `attributed` has (model/records.ts); another value is kept as JSON. */
export const ATTRIBUTED: NonNullable<AccessRecord['attributed']> = 'device-log';
