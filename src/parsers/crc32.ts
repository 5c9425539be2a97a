// CRC-32 (the zlib/PNG polynomial), continued across calls: crc32(b, crc32(a)) === crc32(a + b).
// Node has it natively from 20.15 and 22.2 (zlib.crc32); on an older Node 20 a table is used, with
// the same results (test/parsers/packed-checksum.test.ts compares both).

import * as zlib from 'node:zlib';

const table = (): Uint32Array => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
};

/** The portable form, exported for the test that holds it equal to zlib's. */
export function tableCrc32(): (data: Uint8Array, prev?: number) => number {
  const t = table();
  return (data, prev = 0) => {
    let c = ~prev >>> 0;
    for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
    return ~c >>> 0;
  };
}

const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** CRC-32 of `data`, continuing from `prev` (0 to start). */
export const crc32: (data: Uint8Array, prev?: number) => number = typeof native === 'function' ? (d, p = 0) => native(d, p) : tableCrc32();
