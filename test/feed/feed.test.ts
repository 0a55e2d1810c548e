import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { FEED_LOG_LIMIT } from '../../durable-objects/activity-feed';
import { createDb } from '../../worker/db/client';
import { FEED_PING } from '../../worker/schemas/feed-messages';
import { appendEvent } from '../../worker/services/activity';
import { authHeaders, tokenFor } from '../helpers/auth';
import { byDepth } from '../helpers/depth';
import { createTask, type FeedClient, feedStub, openFeed, range, upgrade, wrap } from '../helpers/feed';
import { call, json } from '../helpers/http';
import { seed } from '../helpers/seed';

beforeAll(async () => {
  await seed(env.DB);
});

/** An event written to D1 without the hand-off to the feed: what a lost hand-off leaves behind. */
async function writeWithoutHandOff(userId: string): Promise<number> {
  const [row] = await appendEvent(createDb(env.DB), userId, 'task.updated', { lost: true });
  return row!.id;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('GET /api/v1/feed: delivery', () => {
  it('sends an event to every socket of its user and to no other user', async () => {
    // The second alice socket is the page's: it opens the intro page's own feedUrl.
    const page = await (await call('/api/v1/intro-page/alice', { headers: await authHeaders('alice') })).json<{
      sections: { activityFeed: { events: { id: number }[]; feedUrl: string } };
    }>();
    const { events: shown, feedUrl } = page.sections.activityFeed;
    expect(feedUrl).toBe(`/api/v1/feed?after=${shown[0]!.id}`);
    const fromPage = await upgrade(feedUrl, await authHeaders('alice'));
    expect(fromPage.status).toBe(101);
    const [a1, a2, b] = [await openFeed('alice'), wrap(fromPage.webSocket!), await openFeed('bob')];
    const aliceHead = await a1.ready();
    expect(await a2.ready()).toBe(aliceHead);
    expect(aliceHead).toBe(shown[0]!.id);
    await b.ready();

    const id = await createTask('alice', 'Only for alice');
    expect(id).toBe(aliceHead + 1);
    for (const socket of [a1, a2]) {
      await socket.until((m) => m.some((x) => x.type === 'event' && x.event.id === id), `alice's event ${id}`);
      const event = socket.messages.find((x) => x.type === 'event');
      expect(event).toMatchObject({ type: 'event', event: { id, type: 'task.created', payload: { title: 'Only for alice' } } });
      expect(socket.eventIds()).toEqual([id]);
    }

    const bobsId = await createTask('bob', 'Only for bob');
    await b.until((m) => m.some((x) => x.type === 'event'), "bob's event");
    await sleep(50);
    expect(b.messages.filter((x) => x.type === 'event').map((x) => x.type === 'event' && x.event.payload.title)).toEqual(['Only for bob']);
    expect(b.eventIds()).toEqual([bobsId]);
    expect(a1.eventIds()).toEqual([id]);
    for (const s of [a1, a2, b]) s.ws.close(1000, 'done');
  });

  it('resumes with ?after= with exactly the missed events in order, including one whose hand-off was lost', async () => {
    const first = await openFeed('alice');
    const seen = await first.ready();
    first.ws.close(1000, 'going offline');

    const missed = [await createTask('alice', 'missed 1'), await createTask('alice', 'missed 2'), await writeWithoutHandOff('alice')];
    missed.push(await createTask('alice', 'missed 3'));
    expect(missed).toEqual(range(seen + 1, seen + 4));

    const resumed = await openFeed('alice', { after: seen });
    expect(await resumed.ready()).toBe(seen + 4);
    await resumed.until((m) => m.filter((x) => x.type === 'event').length >= 4, 'the four missed events');
    const live = await createTask('alice', 'live after resume');
    await resumed.until((m) => m.some((x) => x.type === 'event' && x.event.id === live), 'the live event');
    expect(resumed.messages[0]).toEqual({ type: 'ready', lastEventId: seen + 4 });
    expect(resumed.eventIds()).toEqual([...missed, live]);
    resumed.ws.close(1000, 'done');
  });
});

describe('GET /api/v1/feed: who may connect', () => {
  it('refuses unauthenticated, cross-user and foreign-Origin upgrades with problem+json', async () => {
    const cookie = `foyer_session=${await tokenFor('alice')}`;
    const cases: [string, Response, number][] = [
      ['no credentials', await upgrade('/api/v1/feed', {}), 401],
      ['bad token', await upgrade('/api/v1/feed', { Authorization: 'Bearer not.a.jwt' }), 401],
      ["bob asking for alice's feed", await upgrade('/api/v1/feed?userId=alice', await authHeaders('bob')), 403],
      ["an admin asking for alice's feed", await upgrade('/api/v1/feed?userId=alice', await authHeaders('ops', 'admin')), 403],
      ['a cookie from another origin', await upgrade('/api/v1/feed', { Cookie: cookie, Origin: 'https://evil.example' }), 403],
      ['a null origin', await upgrade('/api/v1/feed', { Cookie: cookie, Origin: 'null' }), 403],
      ['not an upgrade', await upgrade('/api/v1/feed', { Upgrade: '', ...(await authHeaders('alice')) }), 426],
      ['a negative cursor', await upgrade('/api/v1/feed?after=-1', await authHeaders('alice')), 400],
      ['a cursor from the future', await upgrade('/api/v1/feed?after=999999', await authHeaders('alice')), 400],
    ];
    for (const [what, res, status] of cases) {
      expect({ what, status: res.status, webSocket: res.webSocket ?? null }).toEqual({ what, status, webSocket: null });
      expect(res.headers.get('Content-Type'), what).toBe('application/problem+json');
      const problem = await res.json<{ status: number; instance: string }>();
      expect(problem.status, what).toBe(status);
      expect(problem.instance, what).toBe(res.headers.get('X-Request-Id'));
    }

    // The browser page itself: same-origin cookie upgrade is accepted.
    const same = await upgrade('/api/v1/feed', { Cookie: cookie, Origin: 'http://foyer.test' });
    expect(same.status).toBe(101);
    const page = wrap(same.webSocket!);
    expect(await page.ready()).toBeGreaterThan(0);
    page.ws.close(1000, 'done');
  });
});

describe('ActivityFeed: hibernation', () => {
  it('keeps identity and cursor on each socket across evictions between messages', async () => {
    const stub = feedStub('alice');
    const socket = await openFeed('alice');
    const head = await socket.ready();
    const e1 = await createTask('alice', 'before eviction');
    await socket.until((m) => m.some((x) => x.type === 'event' && x.event.id === e1), 'e1');

    // Woken by the next hand-off: the new instance knows this socket only from getWebSockets() and its attachment.
    await evictDurableObject(stub);
    const e2 = await createTask('alice', 'after eviction');
    await socket.until((m) => m.some((x) => x.type === 'event' && x.event.id === e2), 'e2');

    // Woken by the client itself, with no hint from the worker: the attachment alone says whose feed and from where.
    const lost = await writeWithoutHandOff('alice');
    await evictDurableObject(stub);
    socket.ws.send(FEED_PING);
    await socket.until((m) => m.some((x) => x.type === 'pong'), 'pong from the auto-response');
    socket.ws.send(JSON.stringify({ type: 'sync' }));
    await socket.until((m) => m.some((x) => x.type === 'event' && x.event.id === lost), 'the lost event after sync');

    expect(socket.eventIds()).toEqual([head + 1, head + 2, head + 3]);
    expect([e1, e2, lost]).toEqual([head + 1, head + 2, head + 3]);
    const attachments = await runInDurableObject(stub, (_instance, state) => state.getWebSockets().map((ws) => ws.deserializeAttachment()));
    expect(attachments).toEqual([expect.objectContaining({ userId: 'alice', cursor: lost })]);
    socket.ws.close(1000, 'done');
  });
});

// 1000 events each in test:deep. In npm test 200, and past the object's log (FEED_LOG_LIMIT) where
// a far-behind client must be replayed from D1 and the log both.
const BURST = byDepth(200, 1000);
const LONG_BURST = byDepth(FEED_LOG_LIMIT + 100, 1000);

describe('ActivityFeed: a burst of events', () => {
  /**
   * Records `count` events, `concurrency` writes at a time, so hand-offs reach the object out of
   * order. Each writer creates a task, then completes it: a burst of creates alone would pass the
   * open-task cap (MAX_OPEN_TASKS).
   */
  async function burst(userId: string, count: number, concurrency: number, onProgress?: (done: number) => Promise<void>) {
    const headers = await authHeaders(userId);
    let next = 0;
    let done = 0;
    const worker = async () => {
      let open: string | undefined;
      while (next < count) {
        next++;
        if (open) {
          const res = await call(`/api/v1/tasks/${open}`, json({ status: 'done' }, headers, 'PATCH'));
          if (res.status !== 200) throw new Error(`complete task: ${res.status} ${await res.text()}`);
          open = undefined;
        } else {
          const res = await call('/api/v1/tasks', json({ title: `burst ${next}` }, headers));
          if (res.status !== 201) throw new Error(`create task: ${res.status} ${await res.text()}`);
          open = (await res.json<{ task: { id: string } }>()).task.id;
        }
        done++;
        await onProgress?.(done);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  function expectExactly(ids: number[], from: number, to: number) {
    expect(ids.length).toBe(to - from + 1);
    expect(ids).toEqual(range(from, to));
  }

  it(`${BURST} events arrive complete, in order and without duplicates`, async () => {
    const socket = await openFeed('user-00001');
    const head = await socket.ready();
    await burst('user-00001', BURST, 20);
    await socket.until((m) => m.filter((x) => x.type === 'event').length >= BURST, `${BURST} events`, 30_000);
    await sleep(50);
    expectExactly(socket.eventIds(), head + 1, head + BURST);
    socket.ws.close(1000, 'done');
  }, 120_000);

  it(`${LONG_BURST} events, also when the object is evicted in the middle and the client resumes with ?after=`, async () => {
    const userId = 'user-00002';
    const stub = feedStub(userId);
    const first = await openFeed(userId);
    const head = await first.ready();
    let resumed: FeedClient | undefined;

    await burst(userId, LONG_BURST, 20, async (done) => {
      if (done === LONG_BURST / 4) {
        // An eviction that hibernates the sockets: they stay open and miss nothing.
        await evictDurableObject(stub);
      }
      if (done === LONG_BURST / 2) {
        // A restart that drops the sockets (as a deploy does): the client reconnects from what it has.
        await evictDurableObject(stub, { webSockets: 'close' });
        await first.until(() => first.closed !== undefined, 'the close after eviction');
        resumed = await openFeed(userId, { after: first.eventIds().at(-1) ?? head });
      }
    });
    await resumed!.until((m) => m.filter((x) => x.type === 'event').length + first.eventIds().length >= LONG_BURST, 'the rest', 30_000);
    await sleep(50);
    expect(first.eventIds().length).toBeGreaterThanOrEqual(LONG_BURST / 4);
    expectExactly([...first.eventIds(), ...resumed!.eventIds()], head + 1, head + LONG_BURST);

    // Far behind: the object's log holds the newest 500, the rest come from D1, seamlessly.
    const late = await openFeed(userId, { after: head });
    await late.until((m) => m.filter((x) => x.type === 'event').length >= LONG_BURST, 'the replay from D1 and the log', 30_000);
    expectExactly(late.eventIds(), head + 1, head + LONG_BURST);
    for (const s of [resumed!, late]) s.ws.close(1000, 'done');
  }, 120_000);
});
