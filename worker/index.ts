import { app } from './app';
import { createDb } from './db/client';
import { consumeEvents } from './events/consumer';
import { isDeadLetterQueue, recordDeadLetters } from './events/dead-letters';
import { runRelay } from './events/relay';

export { ActivityFeed } from '../durable-objects/activity-feed';
export { CacheCoordinator } from '../durable-objects/cache-coordinator';
export { MetricsStore } from '../durable-objects/metrics-store';
export { RateLimiter } from '../durable-objects/rate-limiter';

export default {
  fetch: app.fetch,
  // The events queue and its dead-letter queue (wrangler.toml [queues] consumers; docs/events.md).
  async queue(batch, env, ctx) {
    if (isDeadLetterQueue(batch.queue)) await recordDeadLetters(createDb(env.DB), batch);
    else await consumeEvents(batch, env, ctx);
  },
  // The outbox relay and pruning, every minute (wrangler.toml [triggers]).
  async scheduled(_controller, env, _ctx) {
    await runRelay(env);
  },
} satisfies ExportedHandler<Env>;
