import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { buildWeb, carryAssets } from './scripts/build-web.ts';
import { previousReleaseFetch } from './test/helpers/previous-release.ts';

export const TEST_JWT_SECRET = 'test-secret-for-workerd-tests-only-0123456789';

/** Where CI keeps what a run produced; .ci/summarize.mjs reads the JSON reports in it. */
const RESULTS = '.ci/results';

export default defineConfig(async () => {
  // The worker reads dist/asset-manifest.json through the ASSETS binding; a fresh clone has no dist/.
  await buildWeb({ ifStale: true, quiet: true });
  // dist/ as a release uploads it: with a previous release's page assets carried in (test/web/version-skew.test.ts).
  await carryAssets('https://previous-release.test', {}, previousReleaseFetch);
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
          // An empty database of its own, for tests that apply the migrations step by step (test/migrate/).
          d1Databases: { MIGRATION_DB: 'foyer-migration-test' },
        },
      }),
    ],
    test: {
      include: ['test/**/*.test.{ts,tsx}'],
      // How hard the fuzz, property and memory-fill suites push (test/helpers/depth.ts): `quick`
      // here, `deep` in vitest.deep.config.ts. FUZZ_SEED replays a failed random-seed fuzz run.
      provide: {
        depth: process.env.FOYER_TEST_DEPTH === 'deep' ? ('deep' as const) : ('quick' as const),
        fuzzSeed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : null,
      },
      // Node-side suites with their own configs: the browser suite (vitest.e2e.config.ts), the
      // operator tooling (vitest.node.config.ts) and the disaster-recovery drill (vitest.drill.config.ts).
      exclude: ['test/e2e/**', 'test/node/**', 'test/drill/**', 'node_modules/**'],
      setupFiles: ['./test/setup/apply-migrations.ts', './test/setup/record-api-answers.ts'],
      // Node side: a real JWKS endpoint that can answer, fail or hang (test/hardening/jwks-outage.test.ts).
      globalSetup: ['./test/setup/jwks-server.ts'],
      // A fresh workerd per file cost ~8.6 s each; files share one per vitest worker instead, and
      // the first setup file gives each file empty storage and a fresh-looking isolate.
      isolate: false,
      maxWorkers: 2,
      // The matrix reporter checks the answers the suite produced against /api/v1/openapi.json.
      // `--reporter` on the command line replaces this list: .ci/run names the matrix again.
      // Suites that must print a figure (the fuzz request count and status spread) annotate it;
      // the inline reporter prints annotations, which silencing passed tests' console would hide.
      reporters: [
        'default',
        './test/reporters/api-matrix.ts',
        {
          onTestCaseAnnotate(_test: unknown, annotation: { message: string }) {
            process.stdout.write(`${annotation.message}\n`);
          },
        },
      ],
      // Every request prints its JSON log line; show them only for the tests that fail.
      silent: 'passed-only' as const,
      coverage: {
        // Istanbul instruments the source, so it counts inside workerd; V8 coverage reads the
        // Node inspector, which the workerd pool does not have.
        provider: 'istanbul' as const,
        reportsDirectory: `${RESULTS}/coverage`,
        reporter: ['text-summary', 'text', 'html', 'json-summary'],
        // Every file that can run in workerd counts, loaded by a test or not. Left out: what only
        // runs under Node (scripts/, load/, the seed CLI, configs) and the tests themselves.
        include: ['worker/**/*.{ts,tsx}', 'durable-objects/**/*.ts', 'web/**/*.{ts,tsx}', 'drizzle/**/*.ts'],
        exclude: ['**/*.test.{ts,tsx}', '**/*.d.ts', 'drizzle/seed/run.ts'],
        // The figures of the whole suite when coverage was introduced, rounded down: a run below
        // any of them fails. Raise them as coverage grows (docs/testing.md). web/ is low because
        // its browser code (web/client/) is exercised by the Chromium suite, not in workerd.
        thresholds: {
          lines: 87,
          branches: 77,
          functions: 87,
          statements: 85,
          'worker/**': { lines: 95, branches: 83, functions: 95, statements: 93 },
          'durable-objects/**': { lines: 89, branches: 74, functions: 80, statements: 84 },
          'web/**': { lines: 48, branches: 52, functions: 63, statements: 46 },
          'drizzle/**': { lines: 97, branches: 94, functions: 90, statements: 96 },
        },
      },
    },
  };
});
