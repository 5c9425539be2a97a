// Runs the real CLI (src/cli/main.ts) in-process for `report` and `diff`, collecting what it
// prints and its exit status.
import { runCli, type CliRun } from '../cli/run-cli.js';

export type Run = CliRun;

export const run = (...args: string[]): Promise<Run> => runCli(...args);
