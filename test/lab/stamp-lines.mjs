// Prefixes every stdin line with the host's CLOCK_MONOTONIC in ns at the moment it arrived (the
// live lab's `cfgscope watch` output, for the same receipt clock as the other host clients).
//   <command> | node stamp-lines.mjs > file
let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  const at = process.hrtime.bigint();
  buf += d;
  let nl;
  while ((nl = buf.indexOf('\n')) !== -1) { process.stdout.write(`${at} ${buf.slice(0, nl)}\n`); buf = buf.slice(nl + 1); }
});
