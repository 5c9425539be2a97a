// Where the lab's kernel debug info is (test/lab/setup-debug.sh extracts it from Debian's
// linux-image-*-dbg), and whether it is there: tests that need it are skipped, with this
// reason printed once, when it is not (test/install-deps.sh, which .ci/run runs first, runs setup-debug.sh).
import { existsSync } from 'node:fs';

const root = new URL('../../', import.meta.url).pathname;
export const DEBUG_DIR = `${root}test/lab/.cache/debug`;
export const VMLINUX = `${DEBUG_DIR}/vmlinux`;
export const MODULES = `${DEBUG_DIR}/modules`;
export const haveDebugInfo = existsSync(VMLINUX) && existsSync(MODULES);

export function noteSkip(what: string): void {
  if (!haveDebugInfo) console.warn(`SKIPPED ${what}: no kernel debug info in ${DEBUG_DIR} (run: bash test/lab/setup-debug.sh: downloads 858 MB, keeps 630 MB, 40 s to 2 min)`);
}
