import { defineConfig } from 'vitest/config';

/**
 * `npm run test:drill`: the disaster-recovery drill, in Node (not workerd): it runs the real
 * `npm run backup` / `npm run restore` commands on a throwaway local database and then starts
 * the worker on the restored state. With DRILL_REPORT set, a vitest JSON report is written
 * there too (.ci/run uses it). DRILL_USERS (default 1000) sets the seeded users.
 */
const report = process.env.DRILL_REPORT;

export default defineConfig({
  test: {
    include: ['test/drill/**/*.drill.test.ts'],
    environment: 'node',
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 600_000,
    reporters: report ? ['default', 'json'] : ['default'],
    outputFile: report ? { json: report } : undefined,
  },
});
