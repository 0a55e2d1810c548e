import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { buildWeb } from './scripts/build-web.ts';

export const TEST_JWT_SECRET = 'test-secret-for-workerd-tests-only-0123456789';

export default defineConfig(async () => {
  // The worker reads dist/asset-manifest.json through the ASSETS binding; a fresh clone has no dist/.
  await buildWeb({ ifStale: true, quiet: true });
  const migrations = await readD1Migrations('./drizzle/migrations');
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: './wrangler.toml' },
        miniflare: {
          // Test-only bindings: the migrations to apply in the setup file, and a known secret.
          bindings: {
            TEST_MIGRATIONS: migrations,
            JWT_SECRET: TEST_JWT_SECRET,
            // The test harness waits for waitUntil work before a call returns; flush at once.
            METRICS_FLUSH_MS: '0',
            // The suite shares principals (alice, the address-less `ip:unknown`) across files, so its
            // default rate limit is out of reach; test/rate-limit/* call the app with real limits.
            RATE_LIMIT_REQUESTS: '1000000',
          },
        },
      }),
    ],
    test: {
      include: ['test/**/*.test.{ts,tsx}', 'worker/**/*.test.ts', 'durable-objects/**/*.test.ts'],
      // The browser suite and the disaster-recovery drill run in Node with their own configs.
      exclude: ['test/e2e/**', 'test/drill/**', 'node_modules/**'],
      setupFiles: ['./test/setup/apply-migrations.ts'],
      // Every request prints its JSON log line; show them only for the tests that fail.
      silent: 'passed-only' as const,
    },
  };
});
