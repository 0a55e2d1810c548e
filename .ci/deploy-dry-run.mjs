// `wrangler deploy --dry-run` for every wrangler environment: bundles the worker and validates
// each [env.*] block (bindings, Durable Object classes) without touching Cloudflare. Writes a
// report in vitest's JSON shape so .ci/summarize.mjs counts each environment as one test.
//   node .ci/deploy-dry-run.mjs [report.json]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ENVIRONMENTS = ['staging', 'production'];
const report = process.argv[2];
const assertionResults = [];
for (const env of ENVIRONMENTS) {
  const outdir = mkdtempSync(join(tmpdir(), `foyer-dry-run-${env}-`));
  const started = Date.now();
  const run = spawnSync('npx', ['wrangler', 'deploy', '--dry-run', '--env', env, '--outdir', outdir], { encoding: 'utf8' });
  rmSync(outdir, { recursive: true, force: true });
  const ok = run.status === 0 && /--dry-run: exiting now/.test(run.stdout + run.stderr);
  const tail = `${run.stdout}\n${run.stderr}`.trim().split('\n').slice(-15).join('\n');
  console.log(`${ok ? '✓' : '✗'} wrangler deploy --dry-run --env ${env} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  if (!ok) console.log(tail);
  assertionResults.push({
    title: `wrangler deploy --dry-run --env ${env}`,
    fullName: `wrangler deploy --dry-run --env ${env}`,
    status: ok ? 'passed' : 'failed',
    failureMessages: ok ? [] : [tail],
  });
}
const failed = assertionResults.filter((a) => a.status === 'failed').length;
if (report) {
  writeFileSync(
    report,
    JSON.stringify({
      numPassedTests: assertionResults.length - failed,
      numFailedTests: failed,
      testResults: [{ name: 'deploy dry run', status: failed ? 'failed' : 'passed', assertionResults }],
    }),
  );
}
process.exit(failed ? 1 : 0);
