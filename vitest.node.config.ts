import { defineConfig } from 'vitest/config';

/**
 * `npm run test:node`: tests of the operator tooling that runs in Node, not in workerd
 * (scripts/release/ and scripts/provision/: a fake wrangler, and a stand-in metrics endpoint on a local port). With
 * NODE_TESTS_REPORT set, a vitest JSON report is written there too (.ci/run uses it).
 */
const report = process.env.NODE_TESTS_REPORT;

export default defineConfig({
  test: {
    include: ['test/node/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    reporters: report ? ['default', 'json'] : ['default'],
    outputFile: report ? { json: report } : undefined,
  },
});
