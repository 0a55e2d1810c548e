/**
 * The wrangler command lines a release runs, and what it reads back from them. Every command
 * goes through a `Runner`, so tests can record the exact lines against a fake wrangler.
 */
import { spawn } from 'node:child_process';
import { z } from 'zod';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one command (argv[0] is the program) and returns its exit code and output. */
export type Runner = (argv: string[]) => Promise<CommandResult>;

/** The real runner: spawns the command in `cwd` and collects its output (nothing is shown while it runs). */
export function spawnRunner(cwd: string): Runner {
  return (argv) =>
    new Promise((done) => {
      const [program = 'npx', ...args] = argv;
      const child = spawn(program, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
      });
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
      });
      child.on('close', (code) => done({ code: code ?? 1, stdout, stderr }));
      child.on('error', (err) => done({ code: 1, stdout, stderr: `${stderr}${err.message}` }));
    });
}

const wrangler = (...args: string[]) => ['npx', 'wrangler', ...args];

/** `wrangler deployments status --json`: the deployment serving traffic now. */
const deploymentSchema = z.object({
  id: z.string(),
  versions: z.array(z.object({ version_id: z.string(), percentage: z.number() })).min(1),
});
export type Deployment = z.infer<typeof deploymentSchema>;

export function deploymentStatusCommand(env: string): string[] {
  return wrangler('deployments', 'status', '--env', env, '--json');
}

export function parseDeployment(stdout: string): Deployment {
  // wrangler may print a warning line before the JSON document.
  const start = stdout.indexOf('{');
  if (start < 0) throw new Error(`wrangler deployments status printed no JSON:\n${stdout}`);
  return deploymentSchema.parse(JSON.parse(stdout.slice(start)));
}

/**
 * The single version serving 100 % now: the one a failed step goes back to.
 * A deployment that is still split is an unfinished release; starting another on top of it
 * would lose track of which version is known good.
 */
export function stableVersion(deployment: Deployment, env: string): string {
  // A version at 0 % (left by a release that stopped after its smoke test) takes no traffic.
  const [only, ...others] = deployment.versions.filter((v) => v.percentage > 0);
  if (!only || others.length > 0 || only.percentage !== 100) {
    const split = deployment.versions.map((v) => `${v.version_id}@${v.percentage}%`).join(' ');
    throw new Error(
      `${env} is split between versions (${split}): an earlier release did not finish. Decide which one stays, e.g.\n` +
        `  npx wrangler versions deploy <version-id>@100% --env ${env} --yes\nthen run the release again.`,
    );
  }
  return only.version_id;
}

export function uploadCommand(env: string, message: string, tag: string | undefined, secretsFile: string | undefined): string[] {
  return wrangler(
    'versions',
    'upload',
    '--env',
    env,
    '--message',
    message,
    ...(tag ? ['--tag', tag] : []),
    ...(secretsFile ? ['--secrets-file', secretsFile] : []),
  );
}

/** `Worker Version ID: <uuid>`, printed by `wrangler versions upload`. */
export function parseVersionId(stdout: string): string {
  const match = /Worker Version ID:\s*([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/i.exec(stdout);
  if (!match?.[1]) throw new Error(`wrangler versions upload printed no "Worker Version ID":\n${stdout}`);
  return match[1];
}

/**
 * A version that adds, renames or deletes a Durable Object class cannot be uploaded (API error
 * 10211): class lifecycle changes are atomic and need `wrangler deploy`
 * (https://developers.cloudflare.com/workers/versions-and-deployments/gradual-deployments/with-durable-objects/).
 */
export function isDurableObjectLifecycleRejection(output: string): boolean {
  return /\b10211\b/.test(output) || /migrations?.{0,80}(not supported|cannot be).{0,40}(version|gradual)/i.test(output);
}

/** Cloudflare keeps at most 100 characters of a deployment message. */
const MAX_MESSAGE = 100;

/** One traffic split; a single version at 100 % ends the split. */
export function deployCommand(env: string, message: string, split: { version: string; percent: number }[]): string[] {
  return wrangler(
    'versions',
    'deploy',
    ...split.map((s) => `${s.version}@${s.percent}%`),
    '--env',
    env,
    '--message',
    message.slice(0, MAX_MESSAGE),
    '--yes',
  );
}

/**
 * The page's assets built, plus the files of the version serving now carried into dist/ for the
 * upload (scripts/build-web.ts carryAssets; docs/deployment.md#version-skew).
 */
export function carryCommand(url: string, pin: { worker: string; version: string }): string[] {
  return [
    'npx',
    'tsx',
    'scripts/build-web.ts',
    '--if-stale',
    '--carry-from',
    url,
    '--carry-header',
    `Cloudflare-Workers-Version-Overrides: ${pin.worker}="${pin.version}"`,
  ];
}

/** The repository's smoke test (scripts/smoke.ts), pinned to one version by the override header. */
export function smokeCommand(url: string, env: string, pin?: { worker: string; version: string }): string[] {
  return [
    'npx',
    'tsx',
    'scripts/smoke.ts',
    '--url',
    url,
    '--env',
    env,
    ...(pin ? ['--header', `Cloudflare-Workers-Version-Overrides: ${pin.worker}="${pin.version}"`] : []),
  ];
}
