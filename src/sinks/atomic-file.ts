// Every file cfgscope writes goes through here, so an output never destroys what was there:
// - a whole output (import -o, report -o) is written to a temporary file in the target's folder
//   (`.<name>.tmp-<pid>-<random>`), synced, and renamed over the target only once complete; a
//   failure (disk full, I/O error, an exception, SIGKILL) leaves an existing target as it was;
// - a live output (capture -o, which serve and `tail -f` follow while it grows) is written to its
//   own name, and a failed write is cut back to the last whole write, so the file stays readable;
// - an output that is also one of the command's inputs (same file after symbolic links, or the
//   same inode through a hard link) is refused before anything is read.
// Errors name the path and say why, with a code (docs/errors.md), instead of a raw errno.

import { accessSync, closeSync, constants, fchmodSync, fstatSync, fsyncSync, ftruncateSync, lstatSync, openSync, realpathSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CfgscopeError, UsageError } from '../model/errors.js';
import { nodeCrypto } from '../model/node-crypto.js';

const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | null)?.code;

/** The reason in words, with the errno for searching. */
export function reason(e: unknown): string {
  const code = errno(e);
  const words: Record<string, string> = {
    ENOENT: 'its folder does not exist', EACCES: 'permission denied', EPERM: 'permission denied', EROFS: 'read-only file system',
    EISDIR: 'it is a directory', ENOTDIR: 'a part of the path is not a directory', ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded', EFBIG: 'file too large', EIO: 'I/O error', ENAMETOOLONG: 'name too long', ELOOP: 'too many symbolic links',
  };
  return code && Object.hasOwn(words, code) ? `${words[code]} (${code})` : (e as Error).message;
}

const unwritable = (path: string, why: string): CfgscopeError => new CfgscopeError('OUTPUT_UNWRITABLE', `cannot be written: ${why}`, { file: path });

/** An existing file's identity, following symbolic links; null when there is none. */
function identity(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/**
 * Refuses an output that is one of the inputs: the same file by another name, a symbolic link to
 * it or a hard link of it (same device and inode). Call before reading any input.
 */
export function refuseOutputIsInput(output: string, inputs: readonly (string | undefined)[]): void {
  const out = identity(output);
  if (!out || !out.isFile()) return;
  for (const input of inputs) {
    if (input === undefined) continue;
    const inp = identity(input);
    if (inp && inp.dev === out.dev && inp.ino === out.ino) {
      const alias = input === output ? '' : ` (${input} is the same file)`;
      throw new UsageError('OUTPUT_IS_INPUT', `the output is also an input of this command${alias}; writing it would destroy the input: choose another output file`, { file: output });
    }
  }
}

interface Target {
  /** The name the output ends up at (a symbolic link's target, so the link stays). */
  path: string;
  existing: Stats | null;
}

function resolveTarget(path: string): Target {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (e) {
    if (errno(e) === 'ENOENT') return { path, existing: null };
    throw unwritable(path, reason(e));
  }
  if (st.isSymbolicLink()) {
    try {
      const real = realpathSync(path);
      return { path: real, existing: statSync(real) };
    } catch {
      throw unwritable(path, 'it is a symbolic link to a file that does not exist');
    }
  }
  return { path, existing: st };
}

function checkTarget(given: string, t: Target): void {
  if (!t.existing) return;
  if (t.existing.isDirectory()) throw unwritable(given, 'it is a directory');
  if (t.existing.isFile()) {
    try {
      accessSync(t.path, constants.W_OK);
    } catch (e) {
      throw unwritable(given, reason(e));
    }
  }
}

/** An open output file; see the file comment for the two kinds. */
export class OutputFile {
  private done = false;
  /** Bytes written by whole writes so far: where a failed write is cut back to. */
  private good = 0;
  /** A regular file, written at explicit positions, so a write after a cut-back lands at the cut. */
  private readonly seekable: boolean;

  private constructor(
    /** The name the user gave, for messages. */
    readonly name: string,
    readonly fd: number,
    private readonly target: string,
    private readonly temp: string | null,
    private readonly onExit: () => void,
  ) {
    // A process that exits (an error, process.exit) without commit leaves no temporary behind.
    // SIGKILL cannot be caught: then the temporary stays, named after the target, and the target is intact.
    process.once('exit', onExit);
    this.seekable = fstatSync(fd).isFile();
  }

  /** A whole output: written to a temporary file and renamed over `path` by commit(). */
  static whole(path: string): OutputFile {
    const t = resolveTarget(path);
    checkTarget(path, t);
    // Devices and pipes (`-o /dev/stdout`, `-o /dev/null`) cannot be replaced: written in place.
    if (t.existing && !t.existing.isFile()) return OutputFile.direct(path, t.path, 'w');
    const temp = join(dirname(t.path), `.${basename(t.path)}.tmp-${process.pid}-${nodeCrypto().randomBytes(4).toString('hex')}`);
    let fd: number;
    try {
      fd = openSync(temp, 'wx', 0o666);
      if (t.existing) fchmodSync(fd, t.existing.mode & 0o7777);
    } catch (e) {
      throw unwritable(path, reason(e));
    }
    return new OutputFile(path, fd, t.path, temp, () => { try { unlinkSync(temp); } catch { /* already gone */ } });
  }

  /** A live output: written to `path` itself as it goes (a capture that is followed while it grows). */
  static live(path: string): OutputFile {
    const t = resolveTarget(path);
    checkTarget(path, t);
    return OutputFile.direct(path, t.path, 'w');
  }

  private static direct(name: string, path: string, flags: string): OutputFile {
    let fd: number;
    try {
      fd = openSync(path, flags, 0o666);
    } catch (e) {
      throw unwritable(name, reason(e));
    }
    return new OutputFile(name, fd, path, null, () => {});
  }

  /** Writes all of `data`; on failure cuts the file back to the last whole write and throws OUTPUT_WRITE_FAILED. */
  write(data: Uint8Array): void {
    let off = 0;
    try {
      while (off < data.length) {
        try {
          off += writeSync(this.fd, data, off, data.length - off, this.seekable ? this.good + off : null);
        } catch (e) {
          // A non-blocking pipe (`-o /dev/stdout` into a slow reader): wait for it instead of failing.
          if (errno(e) !== 'EAGAIN') throw e;
        }
      }
      this.good += off;
    } catch (e) {
      try { ftruncateSync(this.fd, this.good); } catch { /* a device or pipe: nothing to cut */ }
      throw this.failed(e);
    }
  }

  private failed(e: unknown): CfgscopeError {
    const kept = this.temp ? 'the existing file, if any, was left as it was' : 'what was written before stays, ending at a whole record';
    return new CfgscopeError('OUTPUT_WRITE_FAILED', `writing failed: ${reason(e)}; ${kept}`, { file: this.name });
  }

  /** Syncs and closes; a whole output then replaces its target. On failure the temporary is removed. */
  commit(): void {
    if (this.done) return;
    this.done = true;
    process.off('exit', this.onExit);
    try {
      fsyncIfFile(this.fd);
      closeSync(this.fd);
      if (this.temp) {
        renameSync(this.temp, this.target);
        syncFolder(dirname(this.target));
      }
    } catch (e) {
      this.onExit();
      throw this.failed(e);
    }
  }

  /** Closes without replacing anything: the temporary is removed, a live output keeps what it holds. */
  discard(): void {
    if (this.done) return;
    this.done = true;
    process.off('exit', this.onExit);
    try { closeSync(this.fd); } catch { /* already closed */ }
    this.onExit();
  }
}

function fsyncIfFile(fd: number): void {
  try {
    fsyncSync(fd);
  } catch (e) {
    // Pipes and character devices cannot be synced; a file's failed sync is a failed write.
    if (errno(e) !== 'EINVAL' && errno(e) !== 'ENOTSUP') throw e;
  }
}

/** The rename itself is durable only once the folder is synced (a crash right after could lose it). */
function syncFolder(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some file systems refuse to sync a folder; the rename has happened either way.
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** A small whole output in one go (a report): replaced atomically, or left as it was. */
export function writeWholeFile(path: string, text: string): void {
  const f = OutputFile.whole(path);
  try {
    f.write(Buffer.from(text, 'utf8'));
    f.commit();
  } catch (e) {
    f.discard();
    throw e;
  }
}
