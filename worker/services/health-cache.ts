import { held } from '../isolate';
import { checkHealth, type HealthEnv, type HealthReport } from './dependency-checks';

/**
 * GET /api/v1/health is public, and each report costs a D1 query, a KV read and four object
 * calls; so an isolate answers from its last report for a few seconds. Only the settled
 * report is kept, never a pending promise: the runtime ties I/O to the request that started it
 * (https://developers.cloudflare.com/workers/runtime-apis/context/).
 */
export const HEALTH_REPORT_TTL_MS = 5_000;

interface Report {
  /** The bindings the report was made with: another set (a test, another environment) checks afresh. */
  bindings: unknown[];
  at: number;
  report: HealthReport;
}

/** The last report, in the isolate's memory (worker/isolate). */
const last = held<{ report?: Report }>('healthReport', () => ({}));

const bindingsOf = (env: HealthEnv) => [env.DB, env.CACHE, env.ACTIVITY_FEED, env.RATE_LIMITER, env.CACHE_COORDINATOR, env.METRICS];

/** The health report, from this isolate's last one when it is under HEALTH_REPORT_TTL_MS old. */
export async function recentHealth(env: HealthEnv, requestId?: string, now = Date.now()): Promise<HealthReport & { ageMs: number }> {
  const bindings = bindingsOf(env);
  const kept = last.get().report;
  if (kept && now - kept.at < HEALTH_REPORT_TTL_MS && kept.bindings.every((b, i) => b === bindings[i])) {
    return { ...kept.report, ageMs: now - kept.at };
  }
  const report = await checkHealth(env, requestId);
  last.get().report = { bindings, at: Date.now(), report };
  return { ...report, ageMs: 0 };
}

/** Forgets the held report (tests that break a dependency and look again at once). */
export function forgetHealthReport(): void {
  last.get().report = undefined;
}
