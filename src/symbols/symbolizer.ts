// Stack frames -> source lines, addr2line style: `__pci_read_base+0x1a2/0x460` is looked up in the
// ELF symbol table (vmlinux, or the .ko the frame names or that defines the function), the
// offset added, and the address given to a long-lived addr2line of that file. A frame's offset is
// a return address (the instruction after the call), which may already belong to the next source
// line: the lookup uses offset - 1, except for the first frame of a stack, the probed function's
// entry. A frame without an offset (ftrace without sym-offset) gets the function's first line and
// is marked as such. Answers are cached per frame text and role; each lookup that fails says why.

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CfgscopeError } from '../model/errors.js';
import { Addr2lineProcess, type SourcePlace } from './addr2line-process.js';
import { readElfSymbols, releaseOf, type ElfFunction, type ElfSymbols } from './elf-symbols.js';
import { parseFrame } from './frame-text.js';
import { kernelSourcePath } from './source-path.js';

/** `entry`: the stack's first frame (the probed function, offset as is); `return`: any other. */
export type FrameRole = 'entry' | 'return';

export interface FrameSource {
  frame: string;
  /** False when the tracer printed no offset: the place is the function's first line. */
  exact: boolean;
  /** The function the code belongs to and the line in it (for an inlined call: the call's line). */
  place: SourcePlace;
  /** Inlined functions the address is in, innermost first, each with its line. */
  inlined: SourcePlace[];
  /** `vmlinux` or the module's file name. */
  object: string;
}

export type Unresolved = 'not-a-function' | 'unknown-function' | 'ambiguous' | 'offset-outside' | 'no-debug-info' | 'no-line';

export interface SymbolizerOptions {
  vmlinux?: string;
  /** Folder of .ko files with debug info (searched recursively). */
  modules?: string;
}

interface ObjectFile { name: string; symbols: ElfSymbols }

function koFiles(dir: string, seen = new Set<string>()): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (e) {
    throw new CfgscopeError('SYMBOLS_FILE_UNREADABLE', (e as Error).message, { file: dir });
  }
  const out: string[] = [];
  for (const n of entries.sort()) {
    const p = join(dir, n);
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      // A dangling link (or a link loop): a module that cannot be read is an error; anything else
      // (the usual `build` and `source` links of /lib/modules/<release> to absent headers) is not a module.
      if (n.endsWith('.ko')) throw new CfgscopeError('SYMBOLS_FILE_UNREADABLE', (e as Error).message, { file: p });
      continue;
    }
    if (st.isDirectory()) {
      // Folders linked back into the tree would be walked forever: each real folder once.
      const id = `${st.dev}:${st.ino}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(...koFiles(p, seen));
    } else if (n.endsWith('.ko')) out.push(p);
  }
  return out;
}

const moduleKey = (name: string): string => name.replace(/-/g, '_');

export class Symbolizer {
  private readonly vmlinux: ObjectFile | null;
  private readonly modules = new Map<string, ObjectFile>();
  private readonly processes = new Map<string, Addr2lineProcess>();
  private readonly cache = new Map<string, Promise<FrameSource | Unresolved>>();
  /** Frames left as they were, by reason (each distinct frame counted once). */
  readonly unresolved = new Map<Unresolved, Set<string>>();
  /** Modules found without DWARF: their frames stay function+offset. */
  readonly modulesWithoutDebugInfo: string[] = [];

  constructor(opts: SymbolizerOptions) {
    this.vmlinux = opts.vmlinux ? { name: 'vmlinux', symbols: readElfSymbols(opts.vmlinux) } : null;
    if (this.vmlinux && !this.vmlinux.symbols.hasDebugInfo) {
      throw new CfgscopeError('SYMBOLS_NO_DEBUG_INFO', 'no DWARF (.debug_info/.debug_line): use the vmlinux of the -dbg package (/usr/lib/debug/boot/vmlinux-*)', { file: opts.vmlinux! });
    }
    if (this.vmlinux?.symbols.relocatable) throw new CfgscopeError('SYMBOLS_NOT_VMLINUX', 'a relocatable object (a module?) was given as --vmlinux', { file: opts.vmlinux! });
    for (const f of opts.modules ? koFiles(opts.modules) : []) {
      const symbols = readElfSymbols(f);
      const name = moduleKey(symbols.moduleName ?? f.split('/').pop()!.replace(/\.ko$/, ''));
      if (!symbols.hasDebugInfo) this.modulesWithoutDebugInfo.push(f);
      this.modules.set(name, { name: `${name}.ko`, symbols });
    }
    if (!this.vmlinux && this.modules.size === 0) throw new CfgscopeError('SYMBOLS_NOTHING', '--modules has no .ko file', { file: opts.modules ?? '' });
  }

  /**
   * Fails when the capture's kernel is not the one these files were built for: the release in
   * vmlinux's linux_banner and in each module's vermagic must be the capture header's. Returns
   * what was compared (the header may not name its kernel: then nothing could be).
   */
  checkRelease(release: string | null, capture: string): string {
    if (release === null) return 'the capture does not name its kernel release: vmlinux and modules not checked against it';
    if (this.vmlinux) {
      const own = releaseOf(this.vmlinux.symbols.banner);
      if (own !== release) {
        throw new CfgscopeError('SYMBOLS_VMLINUX_MISMATCH', `vmlinux is ${own ?? 'of an unknown release (no linux_banner)'}, the capture ${capture} was made on ${release}`, { file: this.vmlinux.symbols.file });
      }
    }
    for (const m of this.modules.values()) {
      const own = releaseOf(m.symbols.vermagic);
      if (own !== release) {
        throw new CfgscopeError('SYMBOLS_MODULE_MISMATCH', `module built for ${own ?? 'an unknown release (no vermagic)'}, the capture ${capture} was made on ${release}`, { file: m.symbols.file });
      }
    }
    return `vmlinux and modules match the capture's kernel ${release}`;
  }

  /** The source place of one frame, or why it stays as printed. */
  resolve(frame: string, role: FrameRole): Promise<FrameSource | Unresolved> {
    const key = `${role}|${frame}`;
    let answer = this.cache.get(key);
    if (!answer) {
      answer = this.lookup(frame, role).then((r) => {
        if (typeof r === 'string') {
          const set = this.unresolved.get(r) ?? new Set<string>();
          set.add(frame);
          this.unresolved.set(r, set);
        }
        return r;
      });
      this.cache.set(key, answer);
    }
    return answer;
  }

  /** Distinct frames left unchanged, per reason, for the run's closing note. */
  unresolvedSummary(): string[] {
    return [...this.unresolved].map(([why, frames]) => `${frames.size} ${why}: ${[...frames].slice(0, 3).join(', ')}${frames.size > 3 ? ', ...' : ''}`);
  }

  close(): void {
    for (const p of this.processes.values()) p.close();
    this.processes.clear();
  }

  private async lookup(frame: string, role: FrameRole): Promise<FrameSource | Unresolved> {
    const f = parseFrame(frame);
    if (!f) return 'not-a-function';
    const found = this.find(f.fn, f.module);
    if (typeof found === 'string') return found;
    const { object, fn } = found;
    if (!object.symbols.hasDebugInfo) return 'no-debug-info';
    if (f.offset !== null && fn.size > 0 && f.offset >= fn.size) return 'offset-outside';
    const off = f.offset === null ? 0 : role === 'return' && f.offset > 0 ? f.offset - 1 : f.offset;
    const proc = this.process(object, fn);
    const [chain] = await proc.resolve([fn.value + BigInt(off)]);
    const places = (chain ?? []).map((p) => ({ ...p, file: p.file ? kernelSourcePath(p.file) : '' }));
    // GCC may emit a function's body as an inlined copy of itself (after IPA splitting): the
    // outermost entry then names the function's first line, the next the real one. Keep the latter.
    while (places.length > 1 && places[places.length - 2]!.fn === places[places.length - 1]!.fn) places.splice(places.length - 1, 1);
    const outer = places[places.length - 1];
    if (!outer || outer.line === null || outer.file === '') return 'no-line';
    return { frame, exact: f.offset !== null, place: outer, inlined: places.slice(0, -1), object: object.name };
  }

  private find(name: string, module: string | null): { object: ObjectFile; fn: ElfFunction } | Unresolved {
    const objects: ObjectFile[] = [];
    if (module !== null) {
      const m = this.modules.get(moduleKey(module));
      if (m) objects.push(m);
    } else {
      if (this.vmlinux) objects.push(this.vmlinux);
      objects.push(...this.modules.values());
    }
    const hits = objects.flatMap((object) => (object.symbols.functions.get(name) ?? []).map((fn) => ({ object, fn })));
    if (hits.length === 0) return 'unknown-function';
    // One definition, or several symbols for the same code (aliases at the same address).
    const first = hits[0]!;
    return hits.every((h) => h.object === first.object && h.fn.value === first.fn.value && h.fn.section === first.fn.section) ? first : 'ambiguous';
  }

  private process(object: ObjectFile, fn: ElfFunction): Addr2lineProcess {
    // A module's addresses are offsets in their section: one addr2line per (module, section).
    const section = object.symbols.relocatable ? fn.section : null;
    const key = `${object.symbols.file}|${section ?? ''}`;
    let p = this.processes.get(key);
    if (!p) {
      p = new Addr2lineProcess(object.symbols.file, section);
      this.processes.set(key, p);
    }
    return p;
  }
}
