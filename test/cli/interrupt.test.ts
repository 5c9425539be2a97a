// Ctrl-C during an import leaves a capture that is closed, says it is incomplete, and replays.
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
const bin = `${root}bin/cfgscope.js`;

describe('SIGINT during import', () => {
  it('closes the capture with an incomplete trailer that replay reads whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfgscope-int-'));
    // A long real input: the shared run's QEMU log repeated (about 90 MB), so the signal lands mid-way.
    const log = readFileSync(`${root}test/fixtures/qemu-6.1-q35-basic/qemu-trace.log`, 'utf8');
    const big = join(dir, 'qemu-big.log');
    writeFileSync(big, log.repeat(600));
    const out = join(dir, 'cut.ndjson');
    const child = spawn(process.execPath, [bin, 'import', big, '-o', out], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(130);
    expect(stderr).toMatch(/SIGINT: stopped after \d+ accesses; .* is closed with an incomplete trailer/);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    const trailer = JSON.parse(lines.at(-1)!) as { t: string; complete: boolean; counts: { accesses: number } };
    expect(trailer).toMatchObject({ t: 'trailer', complete: false });
    expect(trailer.counts.accesses).toBeGreaterThan(0);
    expect(trailer.counts.accesses).toBeLessThan(3079 * 600);
    const replay = spawnSync(process.execPath, [bin, 'replay', '--json', out], { encoding: 'utf8', maxBuffer: 256 << 20 });
    expect(replay.status).toBe(0);
    const end = JSON.parse(replay.stdout.trimEnd().split('\n').at(-1)!) as { type: string; trailer: string; counts: { accesses: number; skipped: number } };
    expect(end).toMatchObject({ type: 'end', trailer: 'incomplete', counts: { accesses: trailer.counts.accesses, skipped: 0 } });
  }, 30_000);
});
