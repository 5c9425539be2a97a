// Runs `setpci --dumpregs` (pciutils) and parses its table, the oracle for register names.
// Output columns: capability id (blank for header registers), position, width B/W/L ('-' for a
// capability), name. Header registers come in three runs: type 0, then type 1 (bridge) names at
// overlapping offsets, then the CardBus (`CB_`) names; a run ends where the offset goes back.

import { execFileSync } from 'node:child_process';

export interface DumpedReg { off: number; width: 1 | 2 | 4; name: string }
export interface DumpedCap { id: number; name: string }
export interface Dumpregs { type0: DumpedReg[]; type1: DumpedReg[]; cardbus: DumpedReg[]; caps: DumpedCap[]; ecaps: DumpedCap[] }

export function runDumpregs(): string {
  try {
    return execFileSync('setpci', ['--dumpregs'], { encoding: 'utf8' });
  } catch (e) {
    throw new Error(`setpci --dumpregs failed (${(e as Error).message}): the register-name oracle needs pciutils; run \`apt-get install pciutils\``);
  }
}

const WIDTH = { B: 1, W: 2, L: 4 } as const;

export function parseDumpregs(text: string): Dumpregs {
  const runs: DumpedReg[][] = [];
  const caps: DumpedCap[] = [];
  const ecaps: DumpedCap[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('cap ')) continue;
    const cap = /^\s*([0-9a-f]{2}|[0-9a-f]{4})\s+[0-9a-f]{2}\s+-\s+(\S+)$/.exec(line);
    if (cap) {
      (cap[1]!.length === 2 ? caps : ecaps).push({ id: parseInt(cap[1]!, 16), name: cap[2]! });
      continue;
    }
    const reg = /^\s+([0-9a-f]{2})\s+([BWL])\s+(\S+)$/.exec(line);
    if (!reg) throw new Error(`unexpected setpci --dumpregs line: ${JSON.stringify(line)}`);
    const r: DumpedReg = { off: parseInt(reg[1]!, 16), width: WIDTH[reg[2] as keyof typeof WIDTH], name: reg[3]! };
    const run = runs[runs.length - 1];
    if (!run || r.off < run[run.length - 1]!.off) runs.push([r]);
    else run.push(r);
  }
  if (runs.length !== 3) throw new Error(`expected 3 runs of header registers in setpci --dumpregs, got ${runs.length}`);
  return { type0: runs[0]!, type1: runs[1]!, cardbus: runs[2]!, caps, ecaps };
}

export const overlaps = (a: DumpedReg, b: DumpedReg): boolean => a.off < b.off + b.width && b.off < a.off + a.width;
