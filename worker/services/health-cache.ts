import { checkHealth, type HealthEnv, type HealthReport } from './dependency-checks';

/**
 * GET /api/v1/health is public, and each report costs a D1 query, a KV read and four object
 * calls; so an isolate answers from its last report for a few seconds. Only the settled
 * report is kept, never a pending promise: the runtime ties I/O to the request that started it
 * (https://developers.cloudflare.com/workers/runtime-apis/context/).
 */
export const HEALTH_REPORT_TTL_MS = 5_000;

interface Held {
  /** The bindings the report was made with: another set (a test, another environment) checks afresh. */
  bindings: unknown[];
  at: number;
  report: HealthReport;
}

let held: Held | undefined;

const bindingsOf = (env: HealthEnv) => [env.DB, env.CACHE, env.ACTIVITY_FEED, env.RATE_LIMITER, env.CACHE_COORDINATOR, env.METRICS];

/** The health report, from this isolate's last one when it is under HEALTH_REPORT_TTL_MS old. */
export async function recentHealth(env: HealthEnv, requestId?: string, now = Date.now()): Promise<HealthReport & { ageMs: number }> {
  const bindings = bindingsOf(env);
  if (held && now - held.at < HEALTH_REPORT_TTL_MS && held.bindings.every((b, i) => b === bindings[i])) {
    return { ...held.report, ageMs: now - held.at };
  }
  const report = await checkHealth(env, requestId);
  held = { bindings, at: Date.now(), report };
  return { ...report, ageMs: 0 };
}

/** Forgets the held report (tests that break a dependency and look again at once). */
export function forgetHealthReport(): void {
  held = undefined;
}
