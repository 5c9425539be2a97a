// Source paths as a kernel developer writes them (`drivers/pci/probe.c`): DWARF holds them as the
// build saw them (`debian/build/build_amd64_none_amd64/drivers/pci/probe.c`, or an absolute path),
// which differs between distributions and machines. The path is cut at a top-level directory of
// the kernel tree: preferably one right after the tree's own folder (`build_*`, `linux*`, `src`),
// since the machine's own folders may share names with the tree's (`/lib/modules/...`).

const TOP_DIRS = new Set(['arch', 'block', 'certs', 'crypto', 'drivers', 'fs', 'include', 'init', 'io_uring', 'ipc', 'kernel',
  'lib', 'mm', 'net', 'rust', 'samples', 'scripts', 'security', 'sound', 'tools', 'virt']);
const TREE_DIR = /^(build|linux|src$|source$|kernel-)/;

export function kernelSourcePath(path: string): string {
  const parts = path.split('/');
  const candidates = parts.map((p, i) => i).filter((i) => i < parts.length - 1 && TOP_DIRS.has(parts[i]!));
  if (candidates.length === 0) return path;
  const afterTree = candidates.find((i) => i > 0 && TREE_DIR.test(parts[i - 1]!));
  return parts.slice(afterTree ?? candidates[0]).join('/');
}
