/**
 * The dependency checks behind GET /api/v1/health. Each one is a real round trip with a
 * latency budget: answered within it is `ok`, answered late is `slow`, failed or silent
 * past CHECK_TIMEOUT_MS is `down`. How those roll up into the overall status is
 * `overallStatus` below (and docs/operations.md).
 */
import { createDb } from '../db/client';
import { queueLagging } from '../events/figures';
import { type BackupStatus, readBackupStatus } from '../observability/backup-status';
import { log } from '../observability/log';

export const CHECK_NAMES = ['d1', 'kv', 'feed', 'rateLimiter', 'cacheCoordinator', 'metrics', 'queue'] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

/** Latency budgets, ms: generous for the edge, tight enough that a sick dependency shows. */
export const CHECK_BUDGETS_MS: Record<CheckName, number> = {
  d1: 300,
  kv: 300,
  feed: 300,
  rateLimiter: 300,
  cacheCoordinator: 300,
  metrics: 300,
  queue: 300,
};
/** A check that has not answered by then counts as down, so /health itself answers in time. */
export const CHECK_TIMEOUT_MS = 2000;
/** Durable Object name of the probe instances; not a valid user id, so no user's feed is woken. */
const PROBE_NAME = '_health';
/** The one CacheCoordinator (worker/cache/fragment-cache.ts) and MetricsStore (worker/observability/flush.ts). */
const CACHE_COORDINATOR_NAME = 'global';
const METRICS_STORE_NAME = 'global';

export type CheckStatus = 'ok' | 'slow' | 'down';
export type OverallStatus = 'ok' | 'degraded' | 'down';

export interface CheckResult {
  status: CheckStatus;
  latencyMs: number;
  budgetMs: number;
  /** When down (never the dependency's own message: that goes to the log), or why a figure is over its threshold. */
  error?: string;
}

export interface HealthReport {
  status: OverallStatus;
  checks: Record<CheckName, CheckResult>;
  /** Informational: it never changes `status` (see worker/observability/backup-status.ts). */
  backup: BackupStatus;
}

export type HealthEnv = Pick<Env, 'DB' | 'CACHE' | 'ACTIVITY_FEED' | 'RATE_LIMITER' | 'CACHE_COORDINATOR' | 'METRICS'> &
  Partial<Pick<Env, 'BACKUPS'>>;

const PROBES: Record<CheckName, (env: HealthEnv) => Promise<unknown>> = {
  // A real table, so a database without migrations is not "healthy".
  d1: (env) => env.DB.prepare('SELECT 1 AS ok FROM users LIMIT 1').first(),
  kv: (env) => env.CACHE.get('health:probe'),
  feed: (env) => env.ACTIVITY_FEED.get(env.ACTIVITY_FEED.idFromName(PROBE_NAME)).ping(),
  rateLimiter: (env) => env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(PROBE_NAME)).ping(),
  // The real instances (there is one of each): a probe object would prove little about them.
  cacheCoordinator: (env) => env.CACHE_COORDINATOR.get(env.CACHE_COORDINATOR.idFromName(CACHE_COORDINATOR_NAME)).ping(),
  metrics: (env) => env.METRICS.get(env.METRICS.idFromName(METRICS_STORE_NAME)).ping(),
  // Domain events: the outbox backlog and the consumers' lag, read from D1 (worker/events/figures.ts).
  queue: async (env) => {
    const behind = await queueLagging(createDb(env.DB));
    if (behind) throw new OverThreshold(behind);
  },
};

class CheckTimeout extends Error {}
/** A check that answered, but with figures over their thresholds: degraded (`slow`), with the reason. */
class OverThreshold extends Error {}

async function runCheck(name: CheckName, env: HealthEnv, requestId: string | undefined): Promise<CheckResult> {
  const budgetMs = CHECK_BUDGETS_MS[name];
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckTimeout()), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([Promise.resolve().then(() => PROBES[name](env)), timeout]);
    const latencyMs = round(performance.now() - started);
    return { status: latencyMs > budgetMs ? 'slow' : 'ok', latencyMs, budgetMs };
  } catch (err) {
    const latencyMs = round(performance.now() - started);
    if (err instanceof OverThreshold) return { status: 'slow', latencyMs, budgetMs, error: err.message };
    const timedOut = err instanceof CheckTimeout;
    log.error('health check failed', {
      requestId,
      check: name,
      latencyMs,
      error: timedOut ? 'timeout' : err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    });
    return {
      status: 'down',
      latencyMs,
      budgetMs,
      error: timedOut ? `No answer within ${CHECK_TIMEOUT_MS} ms.` : 'The check failed; the log line for this request id has the cause.',
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `down` (503) only when nothing can be served: D1 (the source of truth) and the KV cache
 * (the last good copies) are both down. Any other failing or slow check is `degraded`
 * (200): pages still render, from cache or without the live feed or the limiter.
 */
export function overallStatus(checks: Record<CheckName, CheckResult>): OverallStatus {
  if (checks.d1.status === 'down' && checks.kv.status === 'down') return 'down';
  return CHECK_NAMES.every((n) => checks[n].status === 'ok') ? 'ok' : 'degraded';
}

/** Runs every check at once; the slowest bounds the answer at about CHECK_TIMEOUT_MS. */
export async function checkHealth(env: HealthEnv, requestId?: string): Promise<HealthReport> {
  const [backup, ...results] = await Promise.all([
    readBackupStatus(env.BACKUPS, Date.now(), requestId),
    ...CHECK_NAMES.map((name) => runCheck(name, env, requestId)),
  ]);
  const checks = Object.fromEntries(CHECK_NAMES.map((name, i) => [name, results[i]])) as Record<CheckName, CheckResult>;
  return { status: overallStatus(checks), checks, backup };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
