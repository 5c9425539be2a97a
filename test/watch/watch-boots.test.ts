// `serve --boot` and `watch --boot` on the real kexec capture: a real serve process, real watch
// processes. The server serves one boot's events; a client can pick one boot of a full stream.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { BIN, checkJson, kill, LAB_KEXEC, startServe, type ServeProcess } from '../support/serve-process.js';

const running: ServeProcess[] = [];
afterAll(async () => { for (const s of running) await kill(s); });

function watch(url: string, ...args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [BIN, 'watch', url.replace(/^http/, 'ws'), '--until-end', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout + r.stderr };
}

const findingLines = (out: string): string[] => out.split('\n').filter((l) => /^#\d+ (violation|expected|unexplained) /.test(l));

describe('boots over the websocket (lab-kexec)', () => {
  const kernel2 = checkJson(LAB_KEXEC).filter((l) => l.type === 'finding' && (l['boot'] as { kernel: number; handover?: true }).kernel === 2 && !(l['boot'] as { handover?: true }).handover);

  it('serve --boot 2 serves kernel 2\'s findings only', async () => {
    const s = await startServe(0, ['--fast', '--boot', '2'], LAB_KEXEC);
    running.push(s);
    const w = watch(s.http);
    expect(w.code).toBe(0);
    const lines = findingLines(w.out);
    expect(lines.filter((l) => l.includes(' violation '))).toHaveLength(kernel2.filter((f) => f['verdict'] === 'violation').length);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => / phase kernel 2 \(after kexec\): /.test(l))).toBe(true);
  }, 90_000);

  it('watch --boot handover picks the handover out of the whole stream; a bad --boot is a usage error', async () => {
    const s = await startServe(0, ['--fast'], LAB_KEXEC);
    running.push(s);
    const w = watch(s.http, '--boot', 'handover');
    expect(w.out).toContain('# phase handover, device side only');
    const lines = findingLines(w.out);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.endsWith('phase handover, device side only'))).toBe(true);
    const bad = watch(s.http, '--boot', 'kernel2');
    expect(bad.code).toBe(64);
    expect(bad.out).toContain('BOOT_BAD_VALUE');
  }, 90_000);

  it('serve --boot 3 on a capture of two kernels ends the stream with BOOT_NOT_IN_CAPTURE', async () => {
    const s = await startServe(0, ['--fast', '--boot', '3'], LAB_KEXEC);
    running.push(s);
    const w = watch(s.http);
    expect(w.out).toContain('BOOT_NOT_IN_CAPTURE');
    expect(findingLines(w.out)).toEqual([]);
  }, 90_000);
});
