// The test's own, independent answer to "which source line is this frame?": objdump -t for the
// function's address and section, then a fresh `addr2line -f -i` per address (binutils, run as
// the kernel's scripts/faddr2line would), the line taken from the innermost entry that names the
// frame's own function. Deliberately shares no code with src/symbols.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

interface Sym { file: string; value: bigint; section: string; relocatable: boolean }

function functions(file: string, relocatable: boolean): Map<string, Sym[]> {
  const out = new Map<string, Sym[]>();
  const text = execFileSync('objdump', ['-t', file], { encoding: 'utf8', maxBuffer: 256 << 20 });
  for (const line of text.split('\n')) {
    // 0000000000003b50 l     F .text	0000000000000c50 e1000_probe
    const m = /^([0-9a-f]{16}) (.{6})F (\S+)\t[0-9a-f]+ (?:\.hidden )?(\S+)$/.exec(line);
    if (!m) continue;
    m.splice(2, 1);
    const list = out.get(m[3]!) ?? [];
    list.push({ file, value: BigInt(`0x${m[1]}`), section: m[2]!, relocatable });
    out.set(m[3]!, list);
  }
  return out;
}

export class Addr2lineOracle {
  private readonly tables: Map<string, Sym[]>[];
  private readonly byModule = new Map<string, Map<string, Sym[]>>();

  constructor(vmlinux: string, modulesDir: string) {
    this.tables = [functions(vmlinux, false)];
    for (const f of readdirSync(modulesDir).filter((n) => n.endsWith('.ko')).sort()) {
      const t = functions(`${modulesDir}/${f}`, true);
      this.byModule.set(f.replace(/\.ko$/, '').replace(/-/g, '_'), t);
      this.tables.push(t);
    }
  }

  /**
   * `drivers/pci/probe.c:200` for `__pci_read_base+0xd4/0x390` (a return address: offset - 1),
   * null when the function is unknown or ambiguous. One addr2line run per object and section.
   */
  lines(frames: string[]): Map<string, string | null> {
    const out = new Map<string, string | null>();
    const jobs = new Map<string, { sym: Sym; frames: { frame: string; own: string; exact: boolean; addr: bigint }[] }>();
    for (const frame of new Set(frames)) {
      out.set(frame, null);
      const m = /^([\w.]+)(?:\+(0x[0-9a-f]+|\d+)(?:\/0x[0-9a-f]+)?)?(?: \[([\w-]+)\])?$/.exec(frame);
      if (!m) continue;
      const [, fn, off, mod] = m;
      const tables = mod ? [this.byModule.get(mod.replace(/-/g, '_'))!] : this.tables;
      const hits = tables.flatMap((t) => t.get(fn!) ?? []);
      if (hits.length !== 1) continue;
      const sym = hits[0]!;
      const key = `${sym.file}|${sym.relocatable ? sym.section : ''}`;
      const job = jobs.get(key) ?? { sym, frames: [] };
      job.frames.push({ frame, own: fn!.split('.')[0]!, exact: off !== undefined, addr: sym.value + (off === undefined ? 0n : BigInt(off) - 1n) });
      jobs.set(key, job);
    }
    for (const { sym, frames: fs } of jobs.values()) {
      const args = ['-a', '-f', '-i', '-e', sym.file, ...(sym.relocatable ? ['-j', sym.section] : []), ...fs.map((f) => `0x${f.addr.toString(16)}`)];
      const text = execFileSync('addr2line', args, { encoding: 'utf8', maxBuffer: 64 << 20 }).trim().split('\n');
      // -a: each answer starts with the address line; then function / file:line pairs, innermost first.
      const blocks: string[][] = [];
      for (const l of text) if (/^0x[0-9a-f]{16}$/.test(l)) blocks.push([]); else blocks.at(-1)!.push(l);
      fs.forEach((f, i) => {
        const b = blocks[i]!;
        const pairs: { fn: string; at: string }[] = [];
        for (let j = 0; j + 1 < b.length; j += 2) pairs.push({ fn: b[j]!, at: b[j + 1]!.replace(/ \(discriminator \d+\)$/, '') });
        // Without an offset the frame is the function's first line: the outermost entry.
        const pick = f.exact ? pairs.find((p) => p.fn === f.own) ?? pairs.at(-1) : pairs.at(-1);
        out.set(f.frame, pick ? pick.at.replace(/^.*?\/build_[^/]+\//, '') : null);
      });
    }
    return out;
  }
}
