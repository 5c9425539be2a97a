// Source paths as a kernel developer writes them (`drivers/pci/probe.c`): DWARF holds them as the
// build saw them (`debian/build/build_amd64_none_amd64/drivers/pci/probe.c`, or an absolute path),
// which differs between distributions and machines. The path is cut at its first top-level
// directory of the kernel tree.

const TOP_DIRS = new Set(['arch', 'block', 'certs', 'crypto', 'drivers', 'fs', 'include', 'init', 'io_uring', 'ipc', 'kernel',
  'lib', 'mm', 'net', 'rust', 'samples', 'scripts', 'security', 'sound', 'tools', 'usr', 'virt']);

export function kernelSourcePath(path: string): string {
  const parts = path.split('/');
  // The last top-level name wins only if an earlier one is part of the build directory: take the
  // first that is followed by more path (so `lib/` inside `debian/build/` paths still works).
  for (let i = 0; i < parts.length - 1; i++) if (TOP_DIRS.has(parts[i]!)) return parts.slice(i).join('/');
  return path;
}
