// Instructions of one cfgscope run by JavaScript function, and who calls a builtin: valgrind's
// callgrind counts every instruction, and V8's perf map (node --perf-basic-prof) names the
// addresses of its compiled code, which callgrind alone shows as `???`. A function's count
// includes what V8 inlined into it. Not part of `npm run bench`: run by hand, after `npm run
// build`, when a cost has to be found rather than measured (test/bench/README.md, "By function").
//
//   node test/bench/jit-profile.mjs [--callers <builtin>]... -- <cfgscope arguments>
//
// V8 runs single-threaded (its compiling is counted where it happens) and --predictable (the
// garbage collector's schedule off the clock). A 1M-access packed check takes about 5 minutes.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dash = process.argv.indexOf('--');
if (dash === -1 || dash === process.argv.length - 1) {
  console.error('usage: node test/bench/jit-profile.mjs [--callers <builtin>]... -- <cfgscope arguments>');
  process.exit(2);
}
const own = process.argv.slice(2, dash);
const callers = own.flatMap((a, i) => (a === '--callers' ? [own[i + 1]] : []));
const dir = mkdtempSync(join(tmpdir(), 'cfgscope-jit-'));
const out = join(dir, 'callgrind.out');
const run = spawnSync('valgrind', ['--tool=callgrind', '--dump-instr=yes', `--callgrind-out-file=${out}`,
  // V8 writes a log beside the perf map when it keeps one: into the temporary directory, not the caller's.
  process.execPath, '--perf-basic-prof', `--logfile=${join(dir, 'v8.log')}`, '--no-logfile-per-isolate', '--single-threaded', '--predictable',
  join(root, 'bin/cfgscope.js'), ...process.argv.slice(dash + 1)],
{ encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 28 });
const pid = /^==(\d+)==/m.exec(run.stderr)?.[1];
const map = `/tmp/perf-${pid}.map`;
if (!existsSync(out) || pid === undefined || !existsSync(map)) {
  console.error(`valgrind did not leave a profile and a perf map (exit ${run.status}):\n${run.stderr.slice(-2000)}`);
  process.exit(1);
}

/** Compiled code by start address: [start, size, name], sorted. */
const ranges = readFileSync(map, 'utf8').split('\n').flatMap((l) => {
  const m = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(l);
  return m ? [[parseInt(m[1], 16), parseInt(m[2], 16), m[3].replace(/file:\/\/\S*\/(dist\/\S+):(\d+):\d+/, '$1:$2')]] : [];
}).sort((a, b) => a[0] - b[0]);
const codeAt = (addr) => {
  let lo = 0;
  let hi = ranges.length - 1;
  let k = -1;
  while (lo <= hi) {
    const m = (lo + hi) >> 1;
    if (ranges[m][0] <= addr) { k = m; lo = m + 1; } else hi = m - 1;
  }
  return k >= 0 && addr < ranges[k][0] + ranges[k][1] ? ranges[k][2] : null;
};

// callgrind's format: `fn=(id) name` opens a function (the name given once per id), cost lines
// are `address line cost`: the address absolute (0x, hex), relative to the last one (+n or -n,
// decimal) or the same (*); a `calls=` line makes the next cost line a call's inclusive cost,
// charged to the callee named by the last `cfn=`.
const names = new Map();
const named = (kind, s) => {
  const m = /^\((\d+)\)(?: (.*))?$/.exec(s);
  if (!m) return s;
  if (m[2] !== undefined) names.set(kind + m[1], m[2]);
  return names.get(kind + m[1]) ?? s;
};
const self = new Map();
const callersOf = new Map(callers.map((c) => [c, new Map()]));
let fn = '';
let callee = '';
let addr = 0;
let calls = 0;
let total = 0;
for (const line of readFileSync(out, 'utf8').split('\n')) {
  if (line.startsWith('fn=')) { fn = named('fn', line.slice(3)); continue; }
  if (line.startsWith('cfn=')) { callee = named('fn', line.slice(4)); continue; }
  if (line.startsWith('calls=')) { calls = Number(line.slice(6).split(' ')[0]); continue; }
  const c = line.charCodeAt(0);
  if (!(c === 42 || c === 43 || c === 45 || (c >= 48 && c <= 57))) continue;
  const parts = line.split(' ');
  const a = parts[0];
  addr = a.startsWith('0x') ? parseInt(a, 16) : a[0] === '+' ? addr + Number(a.slice(1)) : a[0] === '-' ? addr - Number(a.slice(1)) : addr;
  // `address line cost`: a line without its cost column costs nothing.
  const cost = parts.length >= 3 ? Number(parts[2]) || 0 : 0;
  // Unnamed code (JIT) is named by the perf map; anything else keeps valgrind's name.
  const who = (fn.startsWith('0x') ? codeAt(addr) : null) ?? fn;
  if (calls > 0) {
    const by = callersOf.get(callee);
    if (by) {
      const e = by.get(who) ?? [0, 0];
      e[0] += calls;
      e[1] += cost;
      by.set(who, e);
    }
    calls = 0;
    continue;
  }
  total += cost;
  self.set(who, (self.get(who) ?? 0) + cost);
}
rmSync(dir, { recursive: true, force: true });
rmSync(map, { force: true });

const M = (n) => `${(n / 1e6).toFixed(1)}M`.padStart(10);
const kinds = [
  ['V8 optimizing compiler', /compiler::|turboshaft|RegisterAllocator|LiveRange|InstructionSelector|CodeGenerator/],
  ['garbage collector', /Heap|Scavenge|Mark|Sweep|Evacuat|Concurrent|Remembered/],
  ['JavaScript, optimized', /^JS:\*/], ['JavaScript, other tiers', /^JS:/], ['V8 builtins', /^Builtin/],
  ['CRC-32 (zlib)', /crc32/], ['parsing and bytecode', /Scanner|Parser|Bytecode|Interpreter|Ast/],
];
const byKind = new Map();
for (const [k, v] of self) {
  const kind = kinds.find(([, re]) => re.test(k))?.[0] ?? 'other';
  byKind.set(kind, (byKind.get(kind) ?? 0) + v);
}
console.log(`${M(total)} instructions\n`);
for (const [k, v] of [...byKind].sort((a, b) => b[1] - a[1])) console.log(`${M(v)}  ${k}`);
console.log('\nby function (self, with what V8 inlined into it):');
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`${M(v)}  ${k.slice(0, 120)}`);
for (const [c, by] of callersOf) {
  console.log(`\ncallers of ${c} (calls, inclusive instructions):`);
  for (const [k, [n, v]] of [...by].sort((a, b) => b[1][1] - a[1][1]).slice(0, 10)) console.log(`${String(n).padStart(10)} ${M(v)}  ${k.slice(0, 110)}`);
}
