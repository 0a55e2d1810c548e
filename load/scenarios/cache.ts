/**
 * `cache`: the figures of docs/architecture.md#cache. Warms all 1000 users through the admin
 * warm route (in the worker, 100 at a time: quicker than visiting each page), then measures
 * warm pages against the hello-world baseline, then a 5 % write mix, and reads the cache's own
 * counters (GET /api/v1/admin/cache) around each phase for D1 computations and KV lookups per page.
 */

import { errorMessage } from '../../worker/observability/log';
import type { RequestSpec } from '../lib/http-load';
import { intOption, introPage, type Scenario, type ScenarioContext } from '../lib/scenario';
import { prng } from '../lib/users';
import { randomIntroPages } from './pages';

interface CacheCounters {
  layers: { isolate: { hits: number; stale: number; misses: number }; kv: { hits: number; stale: number; misses: number } };
  d1: { computes: number; failures: number; timeouts: number };
  coalesced: number;
}

async function counters(ctx: ScenarioContext): Promise<CacheCounters> {
  // Isolates report their counters about once a second; give the last report time to land.
  await new Promise((r) => setTimeout(r, 1500));
  const res = await fetch(`${ctx.url}/api/v1/admin/cache`, { headers: { authorization: ctx.admin.auth } });
  if (!res.ok) throw new Error(`GET /api/v1/admin/cache answered ${res.status}; is the cache route there?`);
  return res.json() as Promise<CacheCounters>;
}

function perPage(before: CacheCounters, after: CacheCounters, pages: number) {
  const d = (f: (c: CacheCounters) => number) => f(after) - f(before);
  const isolateLookups = d((c) => c.layers.isolate.hits + c.layers.isolate.stale + c.layers.isolate.misses);
  const kvLookups = d((c) => c.layers.kv.hits + c.layers.kv.stale + c.layers.kv.misses);
  const computes = d((c) => c.d1.computes);
  return {
    pages,
    fragmentLookups: isolateLookups,
    isolateHitRate: isolateLookups ? 1 - d((c) => c.layers.isolate.misses) / isolateLookups : null,
    /** Fragments not served by the isolate or KV, i.e. computed from D1, over all fragment lookups. */
    hitRate: isolateLookups ? 1 - d((c) => c.layers.kv.misses) / isolateLookups : null,
    d1ComputesPerPage: pages ? computes / pages : null,
    /** KV lookups per page; a page's lookups go out in one bulk get, so round trips are at most this. */
    kvLookupsPerPage: pages ? kvLookups / pages : null,
    coalesced: d((c) => c.coalesced),
  };
}

/** Users per warm request: each is one D1 batch and two KV writes inside that request. */
const WARM_BATCH = 25;

export const cache: Scenario = {
  name: 'cache',
  description:
    'Cache figures: warms 1000 users via POST /admin/cache/warm, then warm pages @50 vs hello world, then 5% writes; D1 computations and KV lookups per page from GET /admin/cache.',
  defaultDurationSec: 20,
  users: 1000,
  async run(ctx) {
    const connections = intOption(ctx, 'connections', 50);
    const started = performance.now();
    let warmed = 0;
    for (let i = 0; i < ctx.users.length; i += WARM_BATCH) {
      const userIds = ctx.users.slice(i, i + WARM_BATCH).map((u) => u.id);
      for (let attempt = 1; ; attempt++) {
        try {
          const res = await fetch(`${ctx.url}/api/v1/admin/cache/warm`, {
            method: 'POST',
            headers: { authorization: ctx.admin.auth, 'content-type': 'application/json' },
            body: JSON.stringify({ userIds }),
          });
          if (!res.ok) throw new Error(`warm answered ${res.status}: ${await res.text()}`);
          warmed += ((await res.json()) as { warmed: unknown[] }).warmed.length;
          break;
        } catch (err) {
          if (attempt === 3) throw err;
          ctx.log(`warm batch at ${i} failed (${errorMessage(err)}); retrying`);
        }
      }
    }
    ctx.log(`warmed ${warmed} users through the admin route in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    // One visit each so the serving isolate holds them (the warm route may have run elsewhere).
    await ctx.warm(ctx.users.map(introPage), 16, 120);

    const c0 = await counters(ctx);
    const warm = await ctx.measure(`intro-page warm @${connections}`, {
      connections,
      durationSec: ctx.durationSec,
      next: randomIntroPages(ctx, 3),
    });
    const c1 = await counters(ctx);

    const random = prng(13);
    let n = 0;
    const next = (): RequestSpec => {
      const user = ctx.users[Math.floor(random() * ctx.users.length)]!;
      if (random() >= 0.05) return { ...introPage(user), label: 'read' };
      n++;
      return {
        method: 'POST',
        path: '/api/v1/tasks',
        headers: { authorization: user.auth, 'content-type': 'application/json' },
        body: JSON.stringify({ title: `cache load task ${n}`, priority: 'low' }),
        label: 'write',
      };
    };
    const mixed = await ctx.measure(`mixed 5% writes @${connections}`, { connections, durationSec: ctx.durationSec, next });
    const c2 = await counters(ctx);
    const reads = mixed.stats.byLabel?.read?.requests ?? 0;
    const writes = mixed.stats.byLabel?.write?.requests ?? 0;

    ctx.extra.cache = {
      warm: { ...perPage(c0, c1, warm.stats.requests), cacheStatusHitShare: warm.stats.cacheHitRate, rpsRatio: warm.ratio?.rps ?? null },
      // Writes compute their user's bundle once (write-through): those computations are counted too.
      mixed: { ...perPage(c1, c2, reads), writes, cacheStatusHitShare: mixed.stats.cacheHitRate, rpsRatio: mixed.ratio?.rps ?? null },
    };
    ctx.log(`cache figures: ${JSON.stringify(ctx.extra.cache)}`);
    ctx.note('cache writes add tasks to .wrangler/load-state; delete that folder for a clean slate.');
  },
};
