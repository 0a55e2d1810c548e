import { app } from './app';

export { ActivityFeed } from '../durable-objects/activity-feed';
export { CacheCoordinator } from '../durable-objects/cache-coordinator';
export { MetricsStore } from '../durable-objects/metrics-store';
export { RateLimiter } from '../durable-objects/rate-limiter';

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
