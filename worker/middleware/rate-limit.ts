import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../app-env';
import { RateLimitedError, ServiceUnavailableError } from '../errors';
import { recordTiming } from '../http/server-timing';
import { type Acquire, allowances } from '../rate-limit/allowance';
import { limitField, policyField } from '../rate-limit/headers';
import { addressKey, limiterShard, partitionKey } from '../rate-limit/partition';
import { classify, limitingEnabled, type PolicyName, policiesFrom, type RatePolicy } from '../rate-limit/policy';

/**
 * Limits every request under `apiPrefix` per principal and class (worker/rate-limit/policy.ts).
 * Runs after `identify`, so a verified token counts against its user and anything else
 * against the client address. Over the limit: 429 problem+json with `Retry-After`; every
 * response carries `RateLimit` and `RateLimit-Policy`. `RATE_LIMIT_REQUESTS=0` turns it off.
 *
 * @example
 * app.use('/api/v1/*', identify);
 * app.use('/api/v1/*', rateLimit('/api/v1'));
 */
export function rateLimit(
  apiPrefix: string,
  classOf: (c: Context<AppEnv>) => PolicyName = (c) => classify(c.req.method, c.req.path, apiPrefix),
) {
  return createMiddleware<AppEnv>(async function rateLimit(c, next) {
    if (!limitingEnabled(c.env)) return next();
    const policy = policiesFrom(c.env)[classOf(c)];
    const ip = c.req.header('CF-Connecting-IP');
    const key = policy.keyBy === 'ip' ? addressKey(ip) : partitionKey(c.var.principal, ip);
    if (!c.var.principal && ip) await refuseFlood(c.env.ANON_FLOOD, key, policy);
    const acquire: Acquire = (request) => c.env.RATE_LIMITER.get(c.env.RATE_LIMITER.idFromName(limiterShard(key))).acquire(request);
    const started = performance.now();
    const decision = await allowances.decide(key, policy, acquire, (work) => defer(c, work));
    // Workers' clocks advance only across I/O, so this is the time spent waiting on the
    // RateLimiter object: 0 when the answer came from this isolate's lease.
    recordTiming(c, 'ratelimit', performance.now() - started, decision.source);
    const fields = { 'RateLimit-Policy': policyField(policy), RateLimit: limitField(policy, decision) };

    if (decision.unavailable) {
      const err = new ServiceUnavailableError(
        `The rate limiter cannot be reached, and ${policy.name} requests are refused until it answers. Retry in ${decision.retryAfterSeconds} s; if it persists, check /api/v1/health.`,
      );
      err.headers = { 'Retry-After': String(decision.retryAfterSeconds), 'RateLimit-Policy': fields['RateLimit-Policy'] };
      throw err;
    }
    if (!decision.allowed) {
      const err = new RateLimitedError(
        decision.retryAfterSeconds,
        `Too many ${policy.name} requests: up to ${policy.quota} per ${policy.windowSeconds} s. Retry after ${decision.retryAfterSeconds} s; the RateLimit header on every response shows what is left.`,
      );
      err.headers = { ...err.headers, ...fields };
      // The draft's quota-exceeded problem names the violated policies (§5.1).
      err.extensions = { ...err.extensions, 'violated-policies': [policy.name] };
      throw err;
    }

    await next();
    setFields(c.res, fields, c);
  });
}

/**
 * The HTML routes (`/`, `/admin`, `/login`, `/logout`) under the same classes as the API: a
 * page read is a `read`, a sign-in or sign-out form POST a `write`. A loop of page requests
 * costs D1 and CPU like API calls do, so it is refused the same way.
 *
 * @example
 * app.use('/login', identify, rateLimitPages);
 */
export const rateLimitPages = rateLimit('', (c) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? 'read' : 'write'));

/** The `ANON_FLOOD` binding's period (wrangler.toml): how long a refused address waits. */
const FLOOD_PERIOD_SECONDS = 10;

/**
 * A caller without a verified token passes the platform's Rate Limiting binding first, so a
 * flood from one address is refused at the edge without asking the RateLimiter object from
 * every isolate it reaches. Its ceiling sits far above every class's quota; the refusal
 * reads like the object's (docs/decisions/durable-object-rate-limiter.md).
 */
async function refuseFlood(binding: RateLimit | undefined, key: string, policy: RatePolicy): Promise<void> {
  // The binding failing says nothing about the caller: the object's limit still applies.
  const allowed = binding
    ? await binding.limit({ key }).then(
        (r) => r.success,
        () => true,
      )
    : true;
  if (allowed) return;
  const err = new RateLimitedError(FLOOD_PERIOD_SECONDS, `Too many requests from this address. Retry after ${FLOOD_PERIOD_SECONDS} s.`);
  err.headers = {
    ...err.headers,
    'RateLimit-Policy': policyField(policy),
    RateLimit: limitField(policy, { remaining: 0, resetSeconds: FLOOD_PERIOD_SECONDS }),
  };
  err.extensions = { ...err.extensions, 'violated-policies': [policy.name] };
  throw err;
}

function defer(c: Context<AppEnv>, work: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(work);
  } catch {
    // No execution context (the app called directly): the work still runs, unawaited.
  }
}

/** Headers of a response built with `new Response` are mutable; a fetched one is not, so it is copied. */
function setFields(res: Response, fields: Record<string, string>, c: Context<AppEnv>): void {
  const write = (target: Response) => {
    for (const [name, value] of Object.entries(fields)) target.headers.set(name, value);
  };
  try {
    write(res);
  } catch {
    const copy = new Response(res.body, res);
    write(copy);
    c.res = copy;
  }
}
