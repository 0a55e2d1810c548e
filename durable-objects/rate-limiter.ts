import { DurableObject } from 'cloudflare:workers';

/**
 * Per-principal rate limiting state. Declared with SQLite storage (wrangler.toml migration
 * v1); the limiter itself arrives with the rate-limiting work.
 */
export class RateLimiter extends DurableObject<Env> {
  /** Liveness probe for the health check: a real round trip to the object. */
  async ping(): Promise<{ ok: true; at: number }> {
    return { ok: true, at: Date.now() };
  }
}
