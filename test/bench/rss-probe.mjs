// Preloaded into a measured node process (`node --import <this>`): when it exits, writes its own
// peak RSS and CPU time to the file named by CFGSCOPE_BENCH_USAGE. The process measures itself,
// so the numbers are its own and not the bench runner's.
import { writeFileSync } from 'node:fs';

const out = process.env.CFGSCOPE_BENCH_USAGE;
if (out) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(out, JSON.stringify({ maxRssKb: u.maxRSS, userUs: u.userCPUTime, systemUs: u.systemCPUTime }));
  });
}
