import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_REPLAY_EVENTS } from '../../durable-objects/activity-feed';
import { MAX_CONCURRENT_REPLAYS, ReplaySlots } from '../../durable-objects/feed-limits';
import { openFeed, range } from '../helpers/feed';
import { seed } from '../helpers/seed';

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 3 });
});

/** Appends `count` events to a user's history in one statement (D1 only, no hand-off); answers the new head. */
async function appendHistory(userId: string, count: number, createdAt = Date.now()): Promise<number> {
  await env.DB.prepare(
    `with recursive n(i) as (select 1 union all select i + 1 from n where i < ?)
     insert into activity_events (user_id, id, type, payload, created_at)
     select ?, (select coalesce(max(id), 0) from activity_events where user_id = ?) + i, 'task.updated', '{"bulk":true}', ? from n`,
  )
    .bind(count, userId, userId, createdAt)
    .run();
  const row = await env.DB.prepare('select max(id) as id from activity_events where user_id = ?').bind(userId).first<{ id: number }>();
  return row!.id;
}

describe('GET /api/v1/feed?after=: a bounded replay', () => {
  it(`replays up to ${MAX_REPLAY_EVENTS} missed events; an older cursor is told to reload the page (1001) and replays nothing`, async () => {
    const userId = 'user-00001';
    const head = await appendHistory(userId, MAX_REPLAY_EVENTS + 200);

    const tooOld = await openFeed(userId, { after: head - MAX_REPLAY_EVENTS - 1 });
    await tooOld.until(() => tooOld.closed !== undefined, 'the close of the too-old cursor', 2000);
    expect(tooOld.closed).toEqual({ code: 1001, reason: expect.stringMatching(/reload the page/) });
    expect(tooOld.eventIds()).toEqual([]);

    const oldest = await openFeed(userId, { after: head - MAX_REPLAY_EVENTS });
    await oldest.until((m) => m.filter((x) => x.type === 'event').length >= MAX_REPLAY_EVENTS, 'the bounded replay', 30_000);
    expect(oldest.eventIds()).toEqual(range(head - MAX_REPLAY_EVENTS + 1, head));
    expect(oldest.closed).toBeUndefined();
    oldest.ws.close(1000, 'done');
  }, 60_000);

  it('a cursor inside the bound whose events were pruned is told to reload too (not an endless 1011 retry)', async () => {
    const userId = 'user-00002';
    const head = await appendHistory(userId, 600);
    // What the retention leaves: the user's oldest events gone, the newest ones kept.
    await env.DB.prepare('delete from activity_events where user_id = ? and id <= ?')
      .bind(userId, head - 550)
      .run();

    const pruned = await openFeed(userId, { after: head - 560 });
    await pruned.until(() => pruned.closed !== undefined, 'the close of the pruned cursor', 5000);
    expect(pruned.closed).toEqual({ code: 1001, reason: expect.stringMatching(/reload the page/) });
    expect(pruned.eventIds()).toEqual([]);
  }, 30_000);

  it('many sockets replaying from D1 at once each get their whole replay, in order', async () => {
    const userId = 'user-00003';
    const head = await appendHistory(userId, MAX_REPLAY_EVENTS);
    const after = head - MAX_REPLAY_EVENTS;
    const sockets = await Promise.all(Array.from({ length: MAX_CONCURRENT_REPLAYS * 3 }, () => openFeed(userId, { after })));
    for (const s of sockets) {
      await s.until((m) => m.filter((x) => x.type === 'event').length >= MAX_REPLAY_EVENTS, 'a whole replay', 30_000);
      expect(s.eventIds()).toEqual(range(after + 1, head));
      s.ws.close(1000, 'done');
    }
  }, 60_000);
});

describe('ReplaySlots: D1 replays per feed', () => {
  it(`runs at most ${MAX_CONCURRENT_REPLAYS} at once; the others start in arrival order as slots free`, async () => {
    const slots = new ReplaySlots();
    const started: number[] = [];
    const releases: (() => void)[] = [];
    const waiting = Array.from({ length: MAX_CONCURRENT_REPLAYS + 2 }, (_, i) =>
      slots.acquire().then((release) => {
        started.push(i);
        releases[i] = release;
      }),
    );
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toEqual(range(0, MAX_CONCURRENT_REPLAYS - 1));
    releases[0]!();
    releases[0]!(); // a second release of the same slot frees nothing more
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toEqual(range(0, MAX_CONCURRENT_REPLAYS));
    expect(slots.running).toBe(MAX_CONCURRENT_REPLAYS);
    for (const release of releases.slice(1)) release?.();
    await Promise.all(waiting);
    for (const release of releases) release();
    expect(slots.running).toBe(0);
  });
});
