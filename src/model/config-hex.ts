// The capture's form of config-space bytes (DeviceRecord.config): two lowercase hex digits per
// byte, `..` for a byte whose value is unknown, nothing past the last byte that was read.

export function configToHex(bytes: Uint8Array | readonly (number | undefined)[]): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    out += b === undefined ? '..' : b.toString(16).padStart(2, '0');
  }
  return out;
}

/** Bytes back from the hex form; undefined where the form says `..`. */
export function configFromHex(hex: string): (number | undefined)[] {
  const out: (number | undefined)[] = new Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) {
    const pair = hex.slice(2 * i, 2 * i + 2);
    out[i] = pair === '..' ? undefined : parseInt(pair, 16);
  }
  return out;
}
