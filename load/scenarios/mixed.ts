/**
 * `mixed`: reads with 5 % writes. Writes are real task changes by the same users whose pages
 * are read, so a cache that is invalidated by writes shows it in the hit rate; half create a
 * task (POST), half change one of the seeded tasks (PATCH). Reads and writes are reported apart.
 */
import type { RequestSpec } from '../lib/http-load';
import { introPage, type Scenario } from '../lib/scenario';
import { prng } from '../lib/users';
import { warmIntroPages } from './pages';

export const WRITE_SHARE = 0.05;
const PRIORITIES = ['low', 'normal', 'high'] as const;
/** Every generated user has at least 25 seeded tasks (drizzle/seed/demo-data.ts). */
const SEEDED_TASKS_PER_USER = 25;

export const mixed: Scenario = {
  name: 'mixed',
  description: 'Intro-page reads with 5% writes (half POST /tasks, half PATCH /tasks/:id) by the same 1000 users, 50 connections.',
  defaultDurationSec: 20,
  users: 1000,
  async run(ctx) {
    const connections = ctx.options.connections ? Number(ctx.options.connections) : 50;
    await warmIntroPages(ctx);
    const random = prng(11);
    let n = 0;
    const next = (): RequestSpec => {
      const user = ctx.users[Math.floor(random() * ctx.users.length)]!;
      if (random() >= WRITE_SHARE) return { ...introPage(user), label: 'read' };
      const headers = { authorization: user.auth, 'content-type': 'application/json' };
      n++;
      if (n % 2 === 0) {
        return {
          method: 'POST',
          path: '/api/v1/tasks',
          headers,
          body: JSON.stringify({ title: `load test task ${n}`, priority: 'low' }),
          label: 'write',
        };
      }
      const task = 1 + Math.floor(random() * SEEDED_TASKS_PER_USER);
      return {
        method: 'PATCH',
        path: `/api/v1/tasks/${user.id}-task-${task}`,
        headers,
        body: JSON.stringify({ priority: PRIORITIES[n % PRIORITIES.length] }),
        label: 'write',
      };
    };
    const phase = await ctx.measure(`mixed 5% writes @${connections}`, { connections, durationSec: ctx.durationSec, next });
    ctx.extra.byKind = phase.stats.byLabel;
    ctx.note('mixed writes add tasks to .wrangler/load-state; delete that folder for a clean slate.');
  },
};
