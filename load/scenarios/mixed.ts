/**
 * `mixed`: reads with 5 % writes. Writes are real task changes by the same users whose pages
 * are read, so a cache that is invalidated by writes shows it in the hit rate; half create a
 * task (POST), half change one of the seeded tasks (PATCH). Reads and writes are reported apart,
 * after a reads-only phase of the same run (the warm page alone, and the reference for CPU per write).
 */
import type { RequestSpec } from '../lib/http-load';
import { intOption, introPage, type Scenario } from '../lib/scenario';
import { type LoadUser, prng } from '../lib/users';
import { warmIntroPages } from './pages';

export const WRITE_SHARE = 0.05;
/** Writes of one user serialise on D1; a few connections keep the writes-only phase about CPU, not queueing. */
export const WRITE_CONNECTIONS = 10;
const PRIORITIES = ['low', 'normal', 'high'] as const;
/** Every generated user has at least 25 seeded tasks (drizzle/seed/demo-data.ts). */
const SEEDED_TASKS_PER_USER = 25;

/**
 * Task writes as users make them: half create a task (POST), half change the priority of one of
 * the user's seeded tasks (PATCH). Shared with the `floor` scenario, which compares them to the
 * write floor.
 */
export function taskWrites(random: () => number): (user: LoadUser) => RequestSpec {
  let n = 0;
  return (user) => {
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
}

export const mixed: Scenario = {
  name: 'mixed',
  description:
    'Intro-page reads alone, then with 5% writes (half POST /tasks, half PATCH /tasks/:id) by the same 1000 users, 50 connections; then writes alone @10 for workerd CPU per write.',
  defaultDurationSec: 20,
  users: 1000,
  async run(ctx) {
    const connections = intOption(ctx, 'connections', 50);
    await warmIntroPages(ctx);
    const random = prng(11);
    const write = taskWrites(random);
    const randomUser = () => ctx.users[Math.floor(random() * ctx.users.length)]!;
    const next = (): RequestSpec => {
      const user = randomUser();
      return random() >= WRITE_SHARE ? { ...introPage(user), label: 'read' } : write(user);
    };
    // The same reads without writes first, in the same run: the warm page's own ratio, and the
    // reference that the writes' CPU is worked out against.
    const readRandom = prng(12);
    const reads = await ctx.measure(`reads only @${connections}`, {
      connections,
      durationSec: ctx.durationSec,
      next: () => ({ ...introPage(ctx.users[Math.floor(readRandom() * ctx.users.length)]!), label: 'read' }),
    });
    const phase = await ctx.measure(`mixed 5% writes @${connections}`, { connections, durationSec: ctx.durationSec, next });
    ctx.extra.byKind = phase.stats.byLabel;
    // Writes alone, measured directly: the mixed phase's CPU is too close to the reads' for
    // the difference of the two to be steady on a shared machine.
    const writes = await ctx.measure(`writes only @${WRITE_CONNECTIONS}`, {
      connections: WRITE_CONNECTIONS,
      durationSec: Math.max(5, Math.round(ctx.durationSec / 2)),
      next: () => write(randomUser()),
    });
    const inMix = cpuMsPerWrite(reads.cpuMsPerRequest?.phase, phase.cpuMsPerRequest?.phase);
    ctx.extra.cpuMsPerWrite = { alone: writes.cpuMsPerRequest?.phase ?? null, inMix, read: reads.cpuMsPerRequest?.phase ?? null };
    ctx.log(
      `workerd CPU per write: ${writes.cpuMsPerRequest?.phase?.toFixed(2)} ms alone, ≈ ${inMix?.toFixed(2)} ms worked out from the mix; per read ${reads.cpuMsPerRequest?.phase?.toFixed(2)} ms`,
    );
    ctx.note('mixed writes add tasks to .wrangler/load-state; delete that folder for a clean slate.');
  },
};

/**
 * workerd CPU per write, worked out from two phases of one run: the mixed phase's CPU per
 * request is (1 − w) × read + w × write, with w the write share and `read` the reads-only phase's.
 */
export function cpuMsPerWrite(readMs: number | null | undefined, mixedMs: number | null | undefined): number | null {
  if (readMs == null || mixedMs == null) return null;
  return (mixedMs - (1 - WRITE_SHARE) * readMs) / WRITE_SHARE;
}
