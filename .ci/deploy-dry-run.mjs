// `wrangler deploy --dry-run` for every wrangler environment: bundles the worker and validates
// each [env.*] block (bindings, Durable Object classes) without touching Cloudflare.
//   node .ci/deploy-dry-run.mjs [report.json]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runChecks } from './command-checks.mjs';

const checks = ['staging', 'production'].map((env) => ({
  title: `wrangler deploy --dry-run --env ${env}`,
  command: ['npx', 'wrangler', 'deploy', '--dry-run', '--env', env, '--outdir', mkdtempSync(join(tmpdir(), `foyer-dry-run-${env}-`))],
  ok: (output) => output.includes('--dry-run: exiting now'),
}));
process.exit(runChecks(process.argv[2], 'deploy dry run', checks) ? 1 : 0);
