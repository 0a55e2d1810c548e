/**
 * `ratelimit`: what the rate limiter costs. The same read load runs twice on the same state:
 * with the limiter as configured, then with RATE_LIMIT_REQUESTS raised so high that nobody is
 * limited. The difference in RPS and latency is the limiter's own overhead; the 429 count shows
 * whether the configured limit bit. Few users (--users, default 5) so the limit can be reached.
 */

import { intOption, type Scenario } from '../lib/scenario';
import { randomIntroPages, warmIntroPages } from './pages';

const UNLIMITED = '1000000000';

export const ratelimit: Scenario = {
  name: 'ratelimit',
  description:
    'Intro pages of 5 users at 50 connections, with the configured limiter and again with RATE_LIMIT_REQUESTS=1e9 (limiter never trips).',
  defaultDurationSec: 15,
  users: 5,
  async run(ctx) {
    const connections = intOption(ctx, 'connections', 50);
    await warmIntroPages(ctx);
    const configured = await ctx.measure(`limiter on @${connections}`, {
      connections,
      durationSec: ctx.durationSec,
      next: randomIntroPages(ctx, 13),
    });
    await ctx.setVars({ RATE_LIMIT_REQUESTS: UNLIMITED });
    const unlimited = await ctx.measure(`limiter off @${connections}`, {
      connections,
      durationSec: ctx.durationSec,
      next: randomIntroPages(ctx, 13),
    });
    const limited = configured.stats.statusCodes['429'] ?? 0;
    ctx.extra.rateLimit = {
      rejected429: limited,
      rpsWithLimiterOverWithout: unlimited.stats.rps > 0 ? configured.stats.rps / unlimited.stats.rps : null,
      p50WithLimiterOverWithout: unlimited.stats.latencyMs.p50 > 0 ? configured.stats.latencyMs.p50 / unlimited.stats.latencyMs.p50 : null,
    };
    ctx.note(
      `"limiter off" sets RATE_LIMIT_REQUESTS=${UNLIMITED}: the limiter still runs but never rejects, so the comparison isolates rejections, not its bookkeeping.`,
    );
  },
};
