import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../worker/db/client';
import { ACTIVITY_PRUNE_BATCH, ACTIVITY_RETENTION_DAYS, runRelay } from '../../worker/events/relay';
import { appendEvent } from '../../worker/services/activity';
import { seed } from '../helpers/seed';

const DAY = 86_400_000;

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 2 });
});

/** Writes events `from…to` for a user, all created at `createdAt`. */
async function history(userId: string, from: number, to: number, createdAt: number): Promise<void> {
  await env.DB.prepare(
    `with recursive n(i) as (select ? union all select i + 1 from n where i < ?)
     insert into activity_events (user_id, id, type, payload, created_at) select ?, i, 'task.updated', '{}', ? from n`,
  )
    .bind(from, to, userId, createdAt)
    .run();
}

async function ids(userId: string): Promise<number[]> {
  const { results } = await env.DB.prepare('select id from activity_events where user_id = ? order by id')
    .bind(userId)
    .all<{ id: number }>();
  return results.map((r) => r.id);
}

describe(`activity events: ${ACTIVITY_RETENTION_DAYS} days of retention, pruned by the cron`, () => {
  it('deletes events older than the retention in bounded batches, keeps each user’s newest, and ids go on from it', async () => {
    const now = Date.now();
    const old = now - (ACTIVITY_RETENTION_DAYS + 1) * DAY;
    const recent = now - (ACTIVITY_RETENTION_DAYS - 1) * DAY;
    await env.DB.prepare("delete from activity_events where user_id in ('user-00001', 'user-00002')").run();
    // More old rows than one batch: the run loops its bounded deletes until nothing is left.
    const many = ACTIVITY_PRUNE_BATCH * 2 + 500;
    await history('user-00001', 1, many, old);
    await history('user-00002', 1, 3, old);
    await history('user-00002', 4, 5, recent);

    const report = await runRelay(env, now);
    expect(report.prunedEvents).toBe(many - 1 + 3);
    // user-00001 was idle past the retention: only its newest event stays, so ids never restart.
    expect(await ids('user-00001')).toEqual([many]);
    expect(await ids('user-00002')).toEqual([4, 5]);

    const [next] = await appendEvent(createDb(env.DB), 'user-00001', 'task.updated', { after: 'the prune' });
    expect(next?.id).toBe(many + 1);
    // Now the old one is no longer the newest: the next run takes it, and only it.
    expect((await runRelay(env, now)).prunedEvents).toBe(1);
    expect(await ids('user-00001')).toEqual([many + 1]);
  });
});
