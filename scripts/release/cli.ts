/**
 * npm run release -- --env <staging|production> [--steps 10,50,100] [--watch 300]
 *                    [--url <https://…>] [--settle 15] [--message <text>] [--tag <text>]
 *                    [--secrets-file <file>] [--max-error-increase 0.01] [--min-requests 50]
 *
 * A gradual release through Workers versions (release.ts; docs/deployment.md#gradual-releases).
 * The URL defaults to STAGING_URL / PRODUCTION_URL; METRICS_TOKEN (an admin token of that
 * environment) reads /api/v1/metrics; the smoke test takes SMOKE_TOKEN or JWT_SECRET as
 * `npm run smoke` does. Exits 0 when promoted, 1 when rolled back or failed, 2 on bad usage.
 */
import { parseArgs } from 'node:util';
import { ROOT, rawWranglerConfig } from '../local-config';
import { DEFAULT_POLICY, parseSteps } from './decide';
import { metricsReader } from './metrics';
import { ReleaseError, release } from './release';
import { spawnRunner } from './wrangler';

function usage(problem: string): never {
  console.error(`${problem}\nusage: npm run release -- --env <staging|production> [--steps 10,50,100] [--watch 300] [--url https://…]`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    env: { type: 'string' },
    steps: { type: 'string', default: '10,50,100' },
    watch: { type: 'string', default: '300' },
    settle: { type: 'string', default: '15' },
    url: { type: 'string' },
    message: { type: 'string' },
    tag: { type: 'string' },
    'secrets-file': { type: 'string' },
    'max-error-increase': { type: 'string', default: String(DEFAULT_POLICY.maxErrorRateIncrease) },
    'min-requests': { type: 'string', default: String(DEFAULT_POLICY.minRequests) },
  },
});

const env = values.env;
const toml = rawWranglerConfig() as { env?: Record<string, { name?: string }> };
const worker = env ? toml.env?.[env]?.name : undefined;
if (!env || !worker) usage(`--env must name an [env.*] block of wrangler.toml with a name (${Object.keys(toml.env ?? {}).join(', ')})`);

let steps: number[];
try {
  steps = parseSteps(values.steps);
} catch (err) {
  usage((err as Error).message);
}
const watchSeconds = Number(values.watch);
// The decision reads whole minutes after a step began (decide.ts trafficBetween); under two
// minutes of watching there may be none, and /api/v1/metrics keeps 60.
if (!Number.isInteger(watchSeconds) || watchSeconds < 120 || watchSeconds > 3300) usage('--watch takes whole seconds from 120 to 3300');
const settleSeconds = Number(values.settle);
if (!(settleSeconds >= 0)) usage('--settle takes seconds ≥ 0');
const maxErrorRateIncrease = Number(values['max-error-increase']);
const minRequests = Number(values['min-requests']);
if (!(maxErrorRateIncrease >= 0 && maxErrorRateIncrease < 1) || !(minRequests >= 0))
  usage('--max-error-increase takes a fraction (0.01 = 1 point), --min-requests a count');

const url = values.url ?? process.env[`${env.toUpperCase()}_URL`];
if (!url || !/^https?:\/\//.test(url)) usage(`--url (or ${env.toUpperCase()}_URL) must be the environment's https:// address`);
const token = process.env.METRICS_TOKEN;
if (!token) usage('METRICS_TOKEN must hold an admin token of this environment: the release watches /api/v1/metrics');

const run = spawnRunner(ROOT);

const sha = process.env.GITHUB_SHA?.slice(0, 12);
try {
  const result = await release(
    {
      env,
      worker,
      url,
      steps,
      watchSeconds,
      settleSeconds,
      message: values.message ?? (sha ? `${sha} by ${process.env.GITHUB_ACTOR ?? 'ci'}` : 'npm run release'),
      tag: values.tag ?? sha,
      secretsFile: values['secrets-file'],
      policy: { ...DEFAULT_POLICY, maxErrorRateIncrease, minRequests },
    },
    {
      run,
      readTimeline: metricsReader(url, token),
      fetch: (input, init) => fetch(input, init),
      now: Date.now,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      log: (line) => console.log(line),
    },
  );
  if (result.outcome === 'promoted') {
    console.log(`released ${result.version} to 100 % of ${env} (previous ${result.previous})`);
  } else {
    console.log(`ROLLED BACK ${env} to ${result.previous}: ${result.reason}`);
    process.exitCode = 1;
  }
} catch (err) {
  console.error(`✗ ${(err as Error).message}`);
  if (!(err instanceof ReleaseError)) console.error(err);
  process.exitCode = 1;
}
