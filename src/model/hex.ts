// Register values the way kernel developers print them: `0x` and two digits per byte of the
// register, so a word reads `0x0107` and a dword `0xfe200000`; `?` for a value nobody knows.

export const hexValue = (v: number | null, bytes: number): string => (v === null ? '?' : `0x${v.toString(16).padStart(bytes * 2, '0')}`);
