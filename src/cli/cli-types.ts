// What every command file shares with the one that wires them (main.ts): where output goes, the
// exit status a command asks for, and the exit status numbers. Its own module so command files
// never import main.ts, which imports them (a circle).

/** EX_USAGE: the command line cannot be run as given. */
export const EXIT_USAGE = 64;
/** EX_DATAERR: bad input, or an output that cannot be written. */
export const EXIT_DATA = 65;
/** EX_SOFTWARE: a bug of cfgscope's, not of the input. */
export const EXIT_INTERNAL = 70;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** The exit status a command asks for (a replay that saw lost events, a check that failed...). */
export interface CliResult {
  code: number;
}
