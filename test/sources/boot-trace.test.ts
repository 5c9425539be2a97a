// A machine booted with `cfgscope boot-args`: capture reads the boot-time ftrace buffer first, then
// bpftrace. The tracefs here is a real snapshot from the live lab's guest (test/fixtures/lab-live);
// bpftrace's part is the real probe output of test/fixtures/bpftrace, printed by `cat` (it ends with
// the END banner and maps, as bpftrace does when stopped).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCapture } from '../../src/cli/capture-run.js';
import { probeBootTrace } from '../../src/sources/boot-trace.js';

const root = new URL('../../', import.meta.url).pathname;
const tracefs = `${root}test/fixtures/lab-live/tracefs`;
const probeOutput = `${root}test/fixtures/bpftrace/probe-phases.txt`;

interface Rec { t: string; [k: string]: unknown }
const read = (f: string): Rec[] => readFileSync(f, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Rec);
function imported(input: string): Rec[] {
  const out = join(mkdtempSync(join(tmpdir(), 'cfgscope-bt-')), 'x.ndjson');
  expect(spawnSync(process.execPath, [`${root}bin/cfgscope.js`, 'import', input, '-o', out]).status).toBe(0);
  return read(out);
}
/** Accesses with their stacks spelled out (stack ids depend on what was interned before). */
function accesses(recs: Rec[]): unknown[] {
  const stacks = new Map(recs.filter((r) => r.t === 'stack').map((r) => [r['id'], r['frames']]));
  return recs.filter((r) => r.t === 'access').map((r) => ({ ...r, stack: r['stack'] === null ? null : stacks.get(r['stack']) }));
}

describe('the boot-time ftrace buffer', () => {
  it('is recognised by the kprobe events and function filter cfgscope boot-args sets up', () => {
    expect(probeBootTrace(tracefs)).toEqual({ present: true, reason: 'boot trace found (kprobe events pci/*, function tracer on pci_bus_write_config_*)' });
  });

  it('is read first: the capture is the boot trace as import reads it, then the live bpftrace part', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'cfgscope-bt-')), 'live.ndjson');
    const said: string[] = [];
    const r = await runCapture({
      bpftrace: { command: 'cat', args: [probeOutput], label: 'bpftrace:stdout' },
      output: out, bootTrace: tracefs, policy: null, stopWaitMs: 1000, onEvent: () => undefined, say: (l) => said.push(l),
    });
    expect(r.complete).toBe(true);
    const recs = read(out);
    const cut = recs.findIndex((x) => x.t === 'phase' && x['label'] === 'boot trace read; bpftrace starting');
    expect(cut).toBeGreaterThan(0);
    const boot = recs.slice(1, cut);
    const bootImport = imported(`${tracefs}/trace`).filter((x) => x.t !== 'header' && x.t !== 'trailer');
    expect(boot).toEqual(bootImport);
    expect(accesses(boot).length).toBeGreaterThan(1000);
    const live = recs.slice(cut + 1, -1);
    expect(accesses(live)).toEqual(accesses(imported(probeOutput)));
    // The @count reconciliation is about bpftrace's part only, not the boot trace's accesses.
    expect(r.reconciliation).toMatchObject({ status: 'short', printed: 503, counted: 504 });
  });
});
