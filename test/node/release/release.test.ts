import { afterEach, describe, expect, it } from 'vitest';
import { metricsReader } from '../../../scripts/release/metrics';
import { ReleaseError, type ReleaseOptions, release } from '../../../scripts/release/release';
import { ADMIN_TOKEN, NEW, OLD, World, type WorldOptions } from './stand-ins';

const URL_OF_ROUTE = 'https://foyer.example';
const options: ReleaseOptions = {
  env: 'production',
  worker: 'foyer-production',
  url: URL_OF_ROUTE,
  steps: [10, 50, 100],
  watchSeconds: 300,
  settleSeconds: 15,
  message: '0123456789ab by ci',
  tag: '0123456789ab',
};

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function releaseInto(worldOptions: WorldOptions, overrides: Partial<ReleaseOptions> = {}) {
  world = new World(worldOptions);
  const metricsUrl = await world.listen();
  const log: string[] = [];
  const w = world;
  const result = await release(
    { ...options, ...overrides },
    {
      run: w.run,
      // The real reader, over HTTP, against the stand-in endpoint.
      readTimeline: metricsReader(metricsUrl, ADMIN_TOKEN),
      fetch: w.fetch,
      now: () => w.now,
      sleep: w.sleep,
      log: (line) => log.push(line),
    },
  );
  return { result, commands: w.commands.map((argv) => argv.join(' ')), log, world: w };
}

const status = 'npx wrangler deployments status --env production --json';
const carry = `npx tsx scripts/build-web.ts --if-stale --carry-from ${URL_OF_ROUTE} --carry-header Cloudflare-Workers-Version-Overrides: foyer-production="${OLD}"`;
const upload = 'npx wrangler versions upload --env production --message 0123456789ab by ci --tag 0123456789ab';
const deploy = (specs: string, message: string) => `npx wrangler versions deploy ${specs} --env production --message ${message} --yes`;
const pinnedSmoke = `npx tsx scripts/smoke.ts --url ${URL_OF_ROUTE} --env production --header Cloudflare-Workers-Version-Overrides: foyer-production="${NEW}"`;
const smoke = `npx tsx scripts/smoke.ts --url ${URL_OF_ROUTE} --env production`;

describe('npm run release', () => {
  it('promotes a good version step by step, with exactly these wrangler command lines', async () => {
    const { result, commands, log, world } = await releaseInto({ errorRates: { [OLD]: 0.002, [NEW]: 0.002 } });
    expect(result).toEqual({ outcome: 'promoted', version: NEW, previous: OLD });
    expect(commands).toEqual([
      status,
      carry,
      upload,
      deploy(`${NEW}@0% ${OLD}@100%`, '0123456789ab by ci (0 %, smoke test)'),
      pinnedSmoke,
      deploy(`${NEW}@10% ${OLD}@90%`, '0123456789ab by ci (10 %)'),
      deploy(`${NEW}@50% ${OLD}@50%`, '0123456789ab by ci (50 %)'),
      deploy(`${NEW}@100%`, '0123456789ab by ci (100 %)'),
      smoke,
    ]);
    expect(world.splitAt(world.now)).toEqual(new Map([[NEW, 100]]));
    expect(log).toContain('version affinity at 10 %: 0 of 24 session cookies reached both versions (3 requests each)');
  });

  it('rolls a bad version back to the previous one automatically after the first watched step', async () => {
    // 8 % of the new version's responses are 5xx; at a 10 % share the mix is under 1 %.
    const { result, commands, log, world } = await releaseInto({ errorRates: { [OLD]: 0.002, [NEW]: 0.08 } });
    expect(result).toMatchObject({ outcome: 'rolled-back', version: NEW, previous: OLD });
    expect(commands.slice(5)).toEqual([
      deploy(`${NEW}@10% ${OLD}@90%`, '0123456789ab by ci (10 %)'),
      expect.stringMatching(
        new RegExp(`^npx wrangler versions deploy ${OLD}@100% --env production --message rollback of ${NEW}: .* --yes$`),
      ),
    ]);
    expect(commands.some((c) => c.includes(`${NEW}@50%`) || c.includes(`${NEW}@100%`))).toBe(false);
    expect(world.splitAt(world.now)).toEqual(new Map([[OLD, 100]]));
    expect(log.join('\n')).toMatch(/10 %: rollback: .*new version ≈ [78]\.\d\d %/);
  });

  it('rolls back before any traffic when the smoke test fails against the pinned new version', async () => {
    const { result, commands, world } = await releaseInto({ errorRates: {}, newVersionPassesSmoke: false });
    expect(result).toMatchObject({ outcome: 'rolled-back', reason: expect.stringMatching(/smoke test failed/) });
    expect(commands.slice(4)).toEqual([pinnedSmoke, expect.stringMatching(new RegExp(`versions deploy ${OLD}@100% `))]);
    expect(world.splitAt(world.now)).toEqual(new Map([[OLD, 100]]));
  });

  it('rolls back when the metrics cannot be read during a step (unwatched is not healthy)', async () => {
    const start = Date.parse('2026-11-30T12:00:20.000Z');
    const { result, world } = await releaseInto({ errorRates: {}, metricsDownFrom: start + 60_000 });
    expect(result).toMatchObject({ outcome: 'rolled-back', reason: expect.stringMatching(/metrics could not be read.*503/) });
    expect(world.splitAt(world.now)).toEqual(new Map([[OLD, 100]]));
  });

  it('goes back to the previous version when a step cannot be deployed', async () => {
    const { result, commands, world } = await releaseInto({ errorRates: {}, deployFailsAt: 50 });
    expect(result).toMatchObject({ outcome: 'rolled-back', reason: expect.stringMatching(/deploying 50 % failed/) });
    expect(commands.at(-1)).toMatch(new RegExp(`versions deploy ${OLD}@100% `));
    expect(world.splitAt(world.now)).toEqual(new Map([[OLD, 100]]));
  });

  it('treats a version left at 0 % by an earlier, stopped release as no split', async () => {
    const { result } = await releaseInto({
      errorRates: {},
      deployed: [
        { version_id: '33333333-3333-4333-8333-333333333333', percentage: 0 },
        { version_id: OLD, percentage: 100 },
      ],
    });
    expect(result).toEqual({ outcome: 'promoted', version: NEW, previous: OLD });
  });

  it('refuses to start on top of an unfinished split, before uploading anything', async () => {
    const attempt = releaseInto({
      errorRates: {},
      deployed: [
        { version_id: NEW, percentage: 10 },
        { version_id: OLD, percentage: 90 },
      ],
    });
    await expect(attempt).rejects.toThrow(/split between versions .*versions deploy <version-id>@100%/s);
    expect(world?.commands.map((c) => c.join(' '))).toEqual([status]);
  });

  it('sends a Durable Object class change to `wrangler deploy` instead of splitting it', async () => {
    const attempt = releaseInto({
      errorRates: {},
      upload: { code: 1, stdout: '', stderr: '✘ [ERROR] A request to the Cloudflare API failed. ... [code: 10211]' },
    });
    await expect(attempt).rejects.toThrow(ReleaseError);
    await expect(attempt).rejects.toThrow(/Durable Object class.*npx wrangler deploy --env production/s);
    expect(world?.commands.map((c) => c.join(' '))).toEqual([status, carry, upload]);
  });

  it('refuses a version that cannot serve the assets of the pages the previous one rendered, before any traffic', async () => {
    const { result, commands, world } = await releaseInto({ errorRates: {}, carryReachesUpload: false });
    expect(result).toMatchObject({
      outcome: 'rolled-back',
      reason: expect.stringMatching(/version skew: the new version does not serve \/assets\/app-OLDHASH1\.js \(404\)/),
    });
    expect(commands.slice(4)).toEqual([pinnedSmoke, expect.stringMatching(new RegExp(`versions deploy ${OLD}@100% `))]);
    expect(commands.some((c) => c.includes(`${NEW}@10%`))).toBe(false);
    expect(world.splitAt(world.now)).toEqual(new Map([[OLD, 100]]));
  });

  it("stops before uploading when the serving version's assets cannot be carried", async () => {
    const attempt = releaseInto({ errorRates: {}, carryFails: true });
    await expect(attempt).rejects.toThrow(/Carrying the serving version's assets into dist\/ failed.*cannot hand over its assets/s);
    expect(world?.commands.map((c) => c.join(' '))).toEqual([status, carry]);
  });

  it('rolls back at the first step, before watching it, when a page and its assets can reach different versions', async () => {
    // The new build's hashes are new, so the old version cannot serve them; without the Transform
    // Rule nothing keeps a browser's page and script requests on one version.
    const { result, commands, log, world } = await releaseInto({ errorRates: {}, versionAffinity: false });
    expect(result).toMatchObject({
      outcome: 'rolled-back',
      reason: expect.stringMatching(/version skew: [1-9]\d* of 24 session cookies reached both versions.*Cloudflare-Workers-Version-Key/),
    });
    expect(commands.slice(5)).toEqual([
      deploy(`${NEW}@10% ${OLD}@90%`, '0123456789ab by ci (10 %)'),
      expect.stringMatching(new RegExp(`versions deploy ${OLD}@100% `)),
    ]);
    expect(log.join('\n')).toContain(
      'the previous version does not serve /assets/app-NEWHASH2.js (404), /assets/styles-NEWHASH2.css (404)',
    );
    expect(log.join('\n')).not.toMatch(/watching 10 %/);
    expect(world.splitAt(world.now)).toEqual(new Map([[OLD, 100]]));
  });

  it('needs no version affinity when the old version serves every asset the new pages reference', async () => {
    const { result, log } = await releaseInto({ errorRates: {}, clientChanged: false, versionAffinity: false });
    expect(result).toEqual({ outcome: 'promoted', version: NEW, previous: OLD });
    expect(log).toContain("each version serves every asset the other one's pages reference");
    expect(log.join('\n')).not.toMatch(/version affinity at/);
  });

  it('stops before uploading when the metrics token is refused', async () => {
    world = new World({ errorRates: {} });
    const metricsUrl = await world.listen();
    const w = world;
    const attempt = release(options, {
      run: w.run,
      readTimeline: metricsReader(metricsUrl, 'not-an-admin-token'),
      fetch: w.fetch,
      now: () => w.now,
      sleep: w.sleep,
      log: () => {},
    });
    await expect(attempt).rejects.toThrow(/answered 401.*METRICS_TOKEN/s);
    expect(w.commands.map((c) => c.join(' '))).toEqual([status]);
  });
});
