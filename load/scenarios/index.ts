import type { Scenario } from '../lib/scenario';
import { cache } from './cache';
import { cold } from './cold';
import { events } from './events';
import { feed } from './feed';
import { floor } from './floor';
import { html } from './html';
import { limiterCost } from './limiter-cost';
import { memory } from './memory';
import { mixed } from './mixed';
import { baseline, normal, page, peak } from './pages';
import { ratelimit } from './ratelimit';
import { soak } from './soak';
import { stress } from './stress';

/** Every scenario `npm run load -- <name>` knows, by name. */
export const scenarios: Record<string, Scenario> = Object.fromEntries(
  [baseline, normal, peak, stress, soak, memory, feed, mixed, page, html, ratelimit, limiterCost, cache, cold, events, floor].map((s) => [
    s.name,
    s,
  ]),
);
