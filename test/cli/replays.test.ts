// The bundled captures are what the current importer makes of their raw sources (replays/README.md).
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './run-cli.js';

const root = new URL('../../', import.meta.url).pathname;
const out = mkdtempSync(join(tmpdir(), 'cfgscope-replays-'));

describe('bundled replays are reproducible', () => {
  it.each([
    ['qemu-6.1-q35-basic/kernel.capture.ndjson', ['test/fixtures/qemu-6.1-q35-basic/serial.log', '--devices', 'test/fixtures/qemu-6.1-q35-basic/qemu-trace.log',
      '--attribute', 'test/fixtures/qemu-6.1-q35-basic/qemu-trace.log']],
    ['qemu-6.1-q35-basic/device.capture.ndjson', ['test/fixtures/qemu-6.1-q35-basic/qemu-trace.log']],
    ['qemu-6.1-bpftrace/probe-phases.capture.ndjson', ['test/fixtures/bpftrace/probe-phases.json']],
    ['lab-6.12-probe/probe-phases.capture.ndjson', ['test/fixtures/bpftrace-6.12/probe-phases.json']],
    ...['kexec', 'resets', 'sriov', 'e1000e-on', 'e1000e-off', '6.12-basic', '6.12-kexec', '6.12-kexec-handover'].map((s) => [`lab-${s}/kernel.capture.ndjson`, [`test/fixtures/lab-${s}/serial.log`,
      '--devices', `test/fixtures/lab-${s}/qemu-trace.log`, '--attribute', `test/fixtures/lab-${s}/qemu-trace.log`]] as [string, string[]]),
  ])('%s', async (capture, args) => {
    const target = join(out, capture.replace('/', '-'));
    const cwd = process.cwd();
    process.chdir(root); // the README's commands run from the repository root; paths in headers are relative
    try {
      const r = await runCli('import', ...args, '-o', target);
      expect(r.code).toBe(0);
    } finally {
      process.chdir(cwd);
    }
    expect(readFileSync(target, 'utf8')).toBe(readFileSync(join(root, 'replays', capture), 'utf8'));
  });
});
