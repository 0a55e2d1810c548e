/**
 * One gradual release of one environment through Workers versions
 * (https://developers.cloudflare.com/workers/versions-and-deployments/gradual-deployments/):
 *
 *   1. note the version serving 100 % now (the one to go back to) and its error rate;
 *   2. build, carrying the serving version's hashed assets into dist/, and `wrangler versions
 *      upload` the new version (no traffic yet);
 *   3. deploy it at 0 % and smoke-test it through the real route with the
 *      Cloudflare-Workers-Version-Overrides header; check that each version serves the other's
 *      page assets, or that version affinity keeps a page and its assets together (skew.ts);
 *   4. for each step below 100 %: split the traffic, watch the error rate, judge (decide.ts);
 *   5. 100 % and a last smoke test — or, after any failure, the previous version at 100 %.
 *
 * Everything it touches comes in through `ReleaseDeps`, so the same code runs against a fake
 * wrangler and a stand-in metrics endpoint in tests.
 */
import { DEFAULT_POLICY, judgeStep, type Policy, type Traffic, trafficBetween } from './decide';
import type { ReadTimeline } from './metrics';
import { type AssetCrossCheck, crossCheckAssets, type Fetch, versionAffinityHolds } from './skew';
import {
  carryCommand,
  deployCommand,
  deploymentStatusCommand,
  isDurableObjectLifecycleRejection,
  parseDeployment,
  parseVersionId,
  type Runner,
  smokeCommand,
  stableVersion,
  uploadCommand,
} from './wrangler';

export interface ReleaseOptions {
  env: string;
  /** The environment's worker name (wrangler.toml [env.<env>].name): the override header's key. */
  worker: string;
  /** The environment's public URL (its route), for the smoke test and the metrics. */
  url: string;
  steps: number[];
  watchSeconds: number;
  /** Time for a new deployment to reach every location before it is tested or measured. */
  settleSeconds: number;
  message: string;
  tag?: string;
  secretsFile?: string;
  policy?: Policy;
}

export interface ReleaseDeps {
  run: Runner;
  readTimeline: ReadTimeline;
  /** Reaches the environment's route (the asset checks of skew.ts). */
  fetch: Fetch;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  log: (line: string) => void;
}

export type ReleaseResult =
  | { outcome: 'promoted'; version: string; previous: string }
  | { outcome: 'rolled-back'; version: string; previous: string; reason: string };

/** Wrangler failed in a way the release cannot judge; nothing after the failed command ran. */
export class ReleaseError extends Error {}

async function must(deps: ReleaseDeps, argv: string[], what: string): Promise<string> {
  deps.log(`$ ${argv.join(' ')}`);
  const result = await deps.run(argv);
  if (result.code !== 0) throw new ReleaseError(`${what} failed (exit ${result.code}):\n${result.stderr || result.stdout}`);
  return result.stdout;
}

export async function release(options: ReleaseOptions, deps: ReleaseDeps): Promise<ReleaseResult> {
  const { env, worker, url, steps, watchSeconds, settleSeconds, message } = options;
  const policy = options.policy ?? DEFAULT_POLICY;
  const watchMs = watchSeconds * 1000;
  const minutesToRead = Math.ceil(watchSeconds / 60) + 2;

  const previous = stableVersion(parseDeployment(await must(deps, deploymentStatusCommand(env), 'Reading the current deployment')), env);
  // The old version's own error rate, read before anything changes: a failure to read it stops
  // the release while nothing has been uploaded yet.
  const startedAt = deps.now();
  const baseline: Traffic = trafficBetween(await deps.readTimeline(minutesToRead), startedAt - watchMs, startedAt);
  deps.log(`previous version ${previous}: ${baseline.errors} errors in ${baseline.requests} requests over the last ${watchSeconds} s`);

  await must(deps, carryCommand(url, { worker, version: previous }), "Carrying the serving version's assets into dist/");

  const uploadArgv = uploadCommand(env, message, options.tag, options.secretsFile);
  deps.log(`$ ${uploadArgv.join(' ')}`);
  const upload = await deps.run(uploadArgv);
  if (upload.code !== 0) {
    const output = `${upload.stdout}\n${upload.stderr}`;
    if (isDurableObjectLifecycleRejection(output)) {
      throw new ReleaseError(
        'This version adds, renames or deletes a Durable Object class ([[migrations]] in wrangler.toml), which Workers versions cannot carry.\n' +
          `Ship that change alone with \`npx wrangler deploy --env ${env}\` (docs/deployment.md#gradual-releases), then release the rest.`,
      );
    }
    throw new ReleaseError(`Uploading the version failed (exit ${upload.code}):\n${upload.stderr || upload.stdout}`);
  }
  const version = parseVersionId(upload.stdout);
  deps.log(`uploaded version ${version}`);

  // Versions are always listed new first, old second: Durable Objects already on the new version
  // then keep it as its share grows (the gradual-deployments guarantee for Durable Objects).
  const split = (percent: number) =>
    percent === 100
      ? [{ version, percent: 100 }]
      : [
          { version, percent },
          { version: previous, percent: 100 - percent },
        ];
  const rollBack = async (reason: string): Promise<ReleaseResult> => {
    deps.log(`rolling back: ${reason}`);
    const argv = deployCommand(env, `rollback of ${version}: ${reason}`, [{ version: previous, percent: 100 }]);
    try {
      await must(deps, argv, 'Rolling back');
    } catch (err) {
      throw new ReleaseError(`${(err as Error).message}\nRoll back by hand: ${argv.join(' ')}`);
    }
    return { outcome: 'rolled-back', version, previous, reason };
  };
  const smoke = async (pinned: boolean) => {
    const argv = smokeCommand(url, env, pinned ? { worker, version } : undefined);
    deps.log(`$ ${argv.join(' ')}`);
    const result = await deps.run(argv);
    deps.log(result.stdout.trimEnd());
    return result.code === 0;
  };

  await must(deps, deployCommand(env, `${message} (0 %, smoke test)`, split(0)), 'Deploying the new version at 0 %');
  await deps.sleep(settleSeconds * 1000);
  if (!(await smoke(true))) return rollBack('the smoke test failed against the new version');

  let assets: AssetCrossCheck;
  try {
    assets = await crossCheckAssets(deps.fetch, url, worker, { previous, next: version });
  } catch (err) {
    return rollBack(`the page assets of the two versions could not be compared (${(err as Error).message.split('\n')[0]})`);
  }
  if (assets.oldPagesOnNew.length > 0) {
    return rollBack(
      `version skew: the new version does not serve ${assets.oldPagesOnNew.join(', ')}, which pages of the previous one load; ` +
        'the carry step did not reach the upload (docs/deployment.md#version-skew)',
    );
  }
  // The old version was uploaded before the new files existed: only affinity keeps new pages off it.
  const needsAffinity = assets.newPagesOnOld.length > 0;
  deps.log(
    needsAffinity
      ? `the previous version does not serve ${assets.newPagesOnOld.join(', ')}: the split relies on version affinity`
      : "each version serves every asset the other one's pages reference",
  );

  for (const [index, percent] of steps.entries()) {
    try {
      await must(deps, deployCommand(env, `${message} (${percent} %)`, split(percent)), `Deploying ${percent} %`);
    } catch (err) {
      // Whether that split took effect is unknown; the previous version alone is the known state.
      return rollBack(`deploying ${percent} % failed (${(err as Error).message.split('\n')[0]})`);
    }
    if (percent === 100) break;
    if (index === 0 && needsAffinity) {
      // Affinity shows only while both versions take traffic: checked at once, before the watch.
      await deps.sleep(settleSeconds * 1000);
      const affinity = await versionAffinityHolds(deps.fetch, url).catch((err: Error) => ({ holds: false, detail: err.message }));
      deps.log(`version affinity at ${percent} %: ${affinity.detail}`);
      if (!affinity.holds) {
        return rollBack(
          `version skew: ${affinity.detail}, so a page can load the other version's assets; ` +
            'add the Transform Rule that sets Cloudflare-Workers-Version-Key (docs/deployment.md#version-skew)',
        );
      }
    }
    const stepStart = deps.now();
    deps.log(`watching ${percent} % for ${watchSeconds} s`);
    await deps.sleep(watchMs);
    let observed: Traffic;
    try {
      observed = trafficBetween(await deps.readTimeline(minutesToRead), stepStart, deps.now());
    } catch (err) {
      // Unwatched is not healthy: without figures the step cannot be judged, so it is undone.
      return rollBack(`the metrics could not be read (${(err as Error).message.split('\n')[0]})`);
    }
    const verdict = judgeStep(baseline, observed, percent / 100, policy);
    deps.log(`${percent} %: ${verdict.action}: ${verdict.reason}`);
    if (verdict.action === 'rollback') return rollBack(verdict.reason);
  }

  await deps.sleep(settleSeconds * 1000);
  if (!(await smoke(false))) return rollBack('the smoke test failed after promotion to 100 %');
  return { outcome: 'promoted', version, previous };
}
