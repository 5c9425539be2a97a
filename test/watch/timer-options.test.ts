// Timer values on the command line are read within documented ranges (docs/errors.md): past them a
// usage error with a code (exit 64), never a setTimeout delay past 2^31-1 ms, which Node fires at
// once (`--heartbeat 3e9` made every client's watchdog fire), nor a wait that never ends.
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.js';

const CAPTURE = new URL('../../replays/lab-sriov/kernel.capture.ndjson', import.meta.url).pathname;

describe('timer options', () => {
  it.each([
    [['serve', CAPTURE, '--speed', '1e-300'], 'SERVE_BAD_SPEED'],
    [['serve', CAPTURE, '--speed', '1e300'], 'SERVE_BAD_SPEED'],
    [['serve', CAPTURE, '--speed', 'NaN'], 'SERVE_BAD_SPEED'],
    [['serve', CAPTURE, '--heartbeat', '3e9'], 'SERVE_BAD_HEARTBEAT'],
    [['serve', CAPTURE, '--heartbeat', '1.5'], 'SERVE_BAD_HEARTBEAT'],
    [['serve', CAPTURE, '--heartbeat', '0'], 'SERVE_BAD_HEARTBEAT'],
    [['capture', '--stop-wait', '3e9', '-o', '/nonexistent/x.ndjson'], 'CAPTURE_BAD_STOP_WAIT'],
  ])('%j is a usage error with its code', async (args, code) => {
    const r = await runCli(...args);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(new RegExp(`${code}: .* from [\\d.]+ to \\d+`));
  });
});
