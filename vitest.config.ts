import { defineConfig } from 'vitest/config';
import PlainSummaryReporter from './test/support/plain-summary-reporter.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A hang guard, not a speed target (speed lives in npm run bench): 5 s, vitest's default, was
    // exceeded by in-memory tests (shadow-config: 5.3-8 s) on a machine at load 12.
    testTimeout: 30_000,
    reporters: ['default', new PlainSummaryReporter()],
  },
});
