/**
 * `limiter-cost`: the latency the rate limiter adds to an honest request. The same cheap,
 * authenticated routes are measured with the limiter off (RATE_LIMIT_REQUESTS=0: the middleware
 * returns at once) and on (RATE_LIMIT_REQUESTS=1000000: every request is counted, none refused;
 * leases are 10 tokens for any quota >= 100, so this is the same honest path as the default 300).
 * Phases alternate off/on and then on/off so drift on a shared machine cancels out, and each
 * phase starts on a fresh runtime warmed by one request per user (the first, cold, lease of
 * every user is in the warm-up, later ones are prefetched in the background as in production).
 *
 * Routes: `GET /api/v1/tasks` (a small D1 read) and an unknown path under /api/v1, which costs
 * only the middleware chain (request id, identify = JWT check, limiter, 404), so the limiter's
 * share is as visible as it gets.
 *
 * On a busy shared machine the client-side difference is mostly noise, so the scenario also
 * reads the limiter's own account: `Server-Timing: ratelimit;dur=…;desc=lease|object` on
 * sequential requests with the limiter on. Workers' clocks advance only across I/O, so `dur`
 * is exactly the time a request waited on the RateLimiter object (0 when served from memory).
 */
import type { RequestSpec } from '../lib/http-load';
import type { PhaseReport } from '../lib/report';
import type { Scenario, ScenarioContext } from '../lib/scenario';
import { prng } from '../lib/users';

const OFF = { RATE_LIMIT_REQUESTS: '0' };
const ON = { RATE_LIMIT_REQUESTS: '1000000' };

export const limiterCost: Scenario = {
  name: 'limiter-cost',
  description:
    'Latency the rate limiter adds: /api/v1/tasks and a 404 under /api/v1, limiter off (RATE_LIMIT_REQUESTS=0) vs on, alternating, at 1 and 10 connections.',
  defaultDurationSec: 8,
  users: 200,
  vars: ON,
  async run(ctx) {
    const connectionSteps = ctx.options.connections ? [Number(ctx.options.connections)] : [1, 10];
    const routes: { name: string; spec: (auth: string) => RequestSpec }[] = [
      { name: 'tasks', spec: (auth) => ({ path: '/api/v1/tasks', headers: { authorization: auth } }) },
      { name: '404', spec: (auth) => ({ path: '/api/v1/limiter-cost-probe', headers: { authorization: auth } }) },
    ];
    const rows: Record<string, unknown>[] = [];
    const p = (phase: PhaseReport, q: 'p50' | 'p99') => phase.stats.latencyMs[q];

    for (const route of routes) {
      for (const connections of connectionSteps) {
        const runs: Record<'off' | 'on', PhaseReport[]> = { off: [], on: [] };
        for (const mode of ['off', 'on', 'on', 'off'] as const) {
          await ctx.setVars(mode === 'on' ? ON : OFF);
          await ctx.warm(ctx.users.map((u) => route.spec(u.auth)));
          const random = prng(7);
          const phase = await ctx.measure(`${route.name} limiter ${mode} @${connections}`, {
            connections,
            durationSec: ctx.durationSec,
            next: () => route.spec(ctx.users[Math.floor(random() * ctx.users.length)]!.auth),
          });
          runs[mode].push(phase);
        }
        const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
        const off50 = mean(runs.off.map((r) => p(r, 'p50')));
        const on50 = mean(runs.on.map((r) => p(r, 'p50')));
        const off99 = mean(runs.off.map((r) => p(r, 'p99')));
        const on99 = mean(runs.on.map((r) => p(r, 'p99')));
        const refused = runs.on.reduce((n, r) => n + (r.stats.statusCodes['429'] ?? 0), 0);
        rows.push({
          route: route.name,
          connections,
          p50OffMs: round(off50),
          p50OnMs: round(on50),
          p50AddedMs: round(on50 - off50),
          p99OffMs: round(off99),
          p99OnMs: round(on99),
          p99AddedMs: round(on99 - off99),
          rpsOnOverOff: round(mean(runs.on.map((r) => r.stats.rps)) / mean(runs.off.map((r) => r.stats.rps))),
          refused429: refused,
        });
        ctx.log(
          `${route.name} @${connections}: p50 ${round(off50)} → ${round(on50)} ms (+${round(on50 - off50)}), p99 ${round(off99)} → ${round(on99)} ms (+${round(on99 - off99)})`,
        );
      }
    }
    ctx.extra.limiterCost = rows;
    ctx.extra.limiterWait = await serverSideWaits(ctx, routes);
    ctx.note(
      '"added" = mean over two phases with the limiter on minus the mean over two phases with it off, same run, same runtime, same routes.',
    );
  },
};

/** Sequential requests with the limiter on; what the limiter itself says it waited. */
async function serverSideWaits(ctx: ScenarioContext, routes: { name: string; spec: (auth: string) => RequestSpec }[]) {
  const out: Record<string, unknown>[] = [];
  for (const route of routes) {
    await ctx.setVars(ON);
    await ctx.warm(ctx.users.map((u) => route.spec(u.auth)));
    const random = prng(11);
    const waits: number[] = [];
    const sources: Record<string, number> = {};
    for (let i = 0; i < 400; i++) {
      const spec = route.spec(ctx.users[Math.floor(random() * ctx.users.length)]!.auth);
      const res = await fetch(`${ctx.url}${spec.path}`, { headers: spec.headers });
      await res.arrayBuffer();
      const m = /ratelimit;dur=([\d.]+);desc="(\w+)"/.exec(res.headers.get('server-timing') ?? '');
      if (!m) continue;
      waits.push(Number(m[1]));
      sources[m[2]!] = (sources[m[2]!] ?? 0) + 1;
    }
    waits.sort((a, b) => a - b);
    const at = (q: number) => waits[Math.min(waits.length - 1, Math.ceil(q * waits.length) - 1)] ?? null;
    const row = { route: route.name, requests: waits.length, waitP50Ms: at(0.5), waitP99Ms: at(0.99), waitMaxMs: at(1), sources };
    ctx.log(
      `${route.name}: limiter waited p50 ${row.waitP50Ms} ms, p99 ${row.waitP99Ms} ms over ${waits.length} requests; ${JSON.stringify(sources)}`,
    );
    out.push(row);
  }
  return out;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
