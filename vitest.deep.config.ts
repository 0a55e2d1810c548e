import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

/**
 * `npm run test:deep`: the long suites at full depth (test/helpers/depth.ts), in workerd with the
 * bindings and setup of vitest.config.ts: 10,000 fuzz requests plus random-seed runs, the property
 * tests at their full numRuns, the 50,000-user memory fill and the feed's 1000-event burst. `npm test` runs the same files
 * at quick depth; .ci/run runs both.
 */
export default defineConfig(async (configEnv) => {
  const config = await base(configEnv);
  const test = config.test ?? {};
  return {
    ...config,
    test: {
      ...test,
      include: ['test/fuzz/**/*.test.ts', 'test/**/*.property.test.ts', 'test/cache/memory-budget.test.ts', 'test/feed/feed.test.ts'],
      provide: { ...test.provide, depth: 'deep' as const },
      // Without the API matrix: a run of some files only would overwrite npm test's matrix with a
      // partial one.
      reporters: [test.reporters ?? []].flat().filter((r) => r !== './test/reporters/api-matrix.ts'),
    },
  };
});
