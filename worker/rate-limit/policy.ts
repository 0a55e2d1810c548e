import type { BucketPolicy } from './bucket';

/**
 * The rate-limit classes. Each has its own bucket per principal, all derived from the two
 * variables the contract names (`RATE_LIMIT_REQUESTS` per `RATE_LIMIT_WINDOW_SECONDS`), so an
 * operator tunes one number and the ratios stay sane:
 *
 * | class    | routes                                  | quota     | key            | limiter down  |
 * | -------- | --------------------------------------- | --------- | -------------- | ------------- |
 * | `read`   | GET/HEAD under /api/v1                  | N         | user, else IP  | open          |
 * | `write`  | POST/PUT/PATCH/DELETE under /api/v1     | ceil(N/4) | user, else IP  | open          |
 * | `admin`  | writes under /api/v1/admin, POST /users | ceil(N/4) | user, else IP  | closed (503)  |
 * | `feed`   | GET /api/v1/feed (WebSocket upgrade)    | max(5, ceil(N/5)) | user, else IP | open   |
 * | `health` | GET /api/v1/health                      | 10 N      | IP only        | open          |
 *
 * "open" serves the request under a per-isolate fallback bucket (still limited, per isolate);
 * "closed" refuses with 503. See docs/architecture.md, "Rate limiting".
 */
export const POLICY_NAMES = ['read', 'write', 'admin', 'feed', 'health'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export interface RatePolicy extends BucketPolicy {
  name: PolicyName;
  /** What to do when the RateLimiter object cannot answer. */
  onLimiterFailure: 'open' | 'closed';
  /** `ip`: never keyed by user, so a user's exhausted budget cannot break their monitoring. */
  keyBy: 'principal' | 'ip';
}

export type RateLimitConfig = Pick<Env, 'RATE_LIMIT_REQUESTS' | 'RATE_LIMIT_WINDOW_SECONDS'>;

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function positiveInteger(name: string, raw: string | undefined): number {
  const value = Number(raw);
  if (!raw || !Number.isInteger(value) || value < 1) {
    throw new Error(`${name} must be a positive integer (got ${JSON.stringify(raw)}); set it in wrangler.toml [vars] or .dev.vars.`);
  }
  return value;
}

let memo: { key: string; policies: Record<PolicyName, RatePolicy> } | undefined;

/**
 * `RATE_LIMIT_REQUESTS=0` turns limiting off entirely (no object calls, no RateLimit fields):
 * the switch for measuring what the limiter costs, and for an operator in an incident.
 */
export function limitingEnabled(config: RateLimitConfig): boolean {
  return config.RATE_LIMIT_REQUESTS?.trim() !== '0';
}

/** The five classes for this configuration (parsed once per distinct configuration). */
export function policiesFrom(config: RateLimitConfig): Record<PolicyName, RatePolicy> {
  const key = `${config.RATE_LIMIT_REQUESTS}/${config.RATE_LIMIT_WINDOW_SECONDS}`;
  if (memo?.key === key) return memo.policies;
  const n = positiveInteger('RATE_LIMIT_REQUESTS', config.RATE_LIMIT_REQUESTS);
  const windowSeconds = positiveInteger('RATE_LIMIT_WINDOW_SECONDS', config.RATE_LIMIT_WINDOW_SECONDS);
  const writes = Math.ceil(n / 4);
  const policies: Record<PolicyName, RatePolicy> = {
    read: { name: 'read', quota: n, windowSeconds, onLimiterFailure: 'open', keyBy: 'principal' },
    write: { name: 'write', quota: writes, windowSeconds, onLimiterFailure: 'open', keyBy: 'principal' },
    admin: { name: 'admin', quota: writes, windowSeconds, onLimiterFailure: 'closed', keyBy: 'principal' },
    feed: { name: 'feed', quota: Math.max(5, Math.ceil(n / 5)), windowSeconds, onLimiterFailure: 'open', keyBy: 'principal' },
    health: { name: 'health', quota: 10 * n, windowSeconds, onLimiterFailure: 'open', keyBy: 'ip' },
  };
  memo = { key, policies };
  return policies;
}

/** Which class a request falls in; `path` is the full path including the /api/v1 prefix. */
export function classify(method: string, path: string, apiPrefix: string): PolicyName {
  const route = path.slice(apiPrefix.length);
  if (route === '/health' || route === '/health/') return 'health';
  if (route === '/feed' || route === '/feed/') return 'feed';
  if (WRITES.has(method)) return route.startsWith('/admin/') || route === '/admin' || isRegistration(method, route) ? 'admin' : 'write';
  return 'read';
}

/** `POST /users` is admin-only (it creates accounts), so it fails closed like the admin routes. */
function isRegistration(method: string, route: string): boolean {
  return method === 'POST' && (route === '/users' || route === '/users/');
}
