/**
 * npm run provision -- --env <staging|production>
 *
 * Creates every resource the environment's block of wrangler.toml names and the account lacks
 * (D1, KV, R2 with its lifecycle rules, queues and dead-letter queues), then writes the new ids
 * in place of the REPLACE_WITH_* placeholders (provision.ts; docs/deployment.md#first-deploy-from-an-empty-account).
 * Needs `npx wrangler login`, or CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID. Exits 0 when
 * everything exists, 1 when a step failed, 2 on bad usage.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { spawnRunner } from '../release/wrangler';
import { ProvisionError, provision } from './provision';

const ENVIRONMENTS = ['staging', 'production'];
// Not scripts/local-config.ts: it loads wrangler's API, seconds of start-up this command does not need.
const ROOT = resolve(import.meta.dirname, '../..');
const WRANGLER_CONFIG = resolve(ROOT, 'wrangler.toml');

function usage(problem: string): never {
  console.error(`${problem}\nusage: npm run provision -- --env <${ENVIRONMENTS.join('|')}>`);
  process.exit(2);
}

let env: string | undefined;
try {
  env = parseArgs({ options: { env: { type: 'string' } } }).values.env;
} catch (err) {
  usage((err as Error).message);
}
if (!env || !ENVIRONMENTS.includes(env)) usage(`--env must be one of ${ENVIRONMENTS.join(', ')} (local resources need no provisioning)`);

try {
  await provision(env, {
    run: spawnRunner(ROOT),
    log: (line) => console.log(line),
    readConfig: () => readFileSync(WRANGLER_CONFIG, 'utf8'),
    writeConfig: (text) => writeFileSync(WRANGLER_CONFIG, text),
  });
} catch (err) {
  console.error(`✗ ${(err as Error).message}`);
  if (!(err instanceof ProvisionError)) console.error(err);
  process.exitCode = 1;
}
