import { defineConfig } from 'vitest/config';

/**
 * `npm run test:e2e`: the browser suite, in Node (not workerd). A global setup builds the
 * assets and starts `wrangler dev` with fresh migrated and seeded state; the tests drive
 * Debian's /usr/bin/chromium through playwright-core. With E2E_REPORT set, a vitest JSON
 * report is written there too (.ci/run uses it).
 */
const report = process.env.E2E_REPORT;

export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    environment: 'node',
    globalSetup: ['./test/e2e/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 240_000,
    fileParallelism: false,
    reporters: report ? ['default', 'json'] : ['default'],
    outputFile: report ? { json: report } : undefined,
  },
});
