import { DurableObject } from 'cloudflare:workers';

/**
 * One object per user (`idFromName(userId)`): the user's live activity feed.
 * Declared with SQLite storage (wrangler.toml migration v1); the feed itself arrives with
 * the live-feed work.
 */
export class ActivityFeed extends DurableObject<Env> {
  /** Liveness probe for the health check: a real round trip to the object. */
  async ping(): Promise<{ ok: true; at: number }> {
    return { ok: true, at: Date.now() };
  }
}
