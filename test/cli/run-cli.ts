// Runs the real CLI in-process (commander with exitOverride) and collects what it printed.
import { main } from '../../src/cli/main.js';

export interface CliRun { code: number; stdout: string; stderr: string }

export async function runCli(...args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'cfgscope', ...args], { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; } });
  return { code, stdout, stderr };
}
