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

/** 6.12's debug info (`LAB_KERNEL=6.12 bash test/lab/setup-debug.sh`: linux-image-6.12.118+deb12-amd64-dbg). */
export const DEBUG_DIR_612 = `${root}test/lab/.cache/6.12/debug`;
export const VMLINUX_612 = `${DEBUG_DIR_612}/vmlinux`;
export const MODULES_612 = `${DEBUG_DIR_612}/modules`;
export const haveDebugInfo612 = existsSync(VMLINUX_612) && existsSync(MODULES_612);

export function noteSkip612(what: string): void {
  if (!haveDebugInfo612) console.warn(`SKIPPED ${what}: no 6.12 kernel debug info in ${DEBUG_DIR_612} (run: LAB_KERNEL=6.12 bash test/lab/setup-debug.sh: downloads 1034 MB, keeps 369 MB, 3 min)`);
}
