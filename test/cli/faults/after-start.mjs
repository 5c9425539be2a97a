// Runs `fault` once the command has started: right after its first line on standard error (serve
// prints where it listens), so the fault lands inside a running command, not during start-up.
export function afterStart(fault) {
  const write = process.stderr.write.bind(process.stderr);
  let armed = true;
  process.stderr.write = (chunk, ...rest) => {
    if (armed) {
      armed = false;
      setImmediate(fault);
    }
    return write(chunk, ...rest);
  };
}
