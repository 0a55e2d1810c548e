import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createDb } from '../../worker/db/client';
import { backoffSeconds, MAX_BACKOFF_SECONDS, REORDER_DELAY_SECONDS } from '../../worker/events/consumer';
import { onboardingTaskId } from '../../worker/events/handlers';
import { OUTBOX_RETENTION_MS, RELAY_AFTER_MS, rowToDomainEvent } from '../../worker/events/outbox';
import { runRelay } from '../../worker/events/relay';
import { authHeaders } from '../helpers/auth';
import { breakableObjects, breakableQueue } from '../helpers/broken-bindings';
import { guardD1 } from '../helpers/d1-guard';
import { applied, count, deliver, processedRow, waitFor } from '../helpers/events';
import { openFeed } from '../helpers/feed';
import { call, json, lastD1Trace } from '../helpers/http';
import { seed } from '../helpers/seed';

let admin: Record<string, string>;
const uniqueId = (prefix: string) => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;

async function register(id: string): Promise<void> {
  const res = await call('/api/v1/users', json({ id, displayName: `Test ${id}` }, admin));
  expect(res.status).toBe(201);
  // user.registered (seq 1), then the onboarding task's task.created (seq 2).
  await applied(`${id}:2`);
}

async function outboxRow(id: string) {
  return env.DB.prepare('select * from event_outbox where id = ?')
    .bind(id)
    .first<{ sent_at: number | null; relayed: number; occurred_at: number }>();
}

// Each test waits for the real queue to deliver (about a second per hop here).
vi.setConfig({ testTimeout: 30_000 });

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 0 });
  admin = await authHeaders('ops', 'admin');
});

describe('the transactional outbox', () => {
  it('commits a change, its activity event and its outbox row together, sends the event after the response, and the consumer stamps the row', async () => {
    const alice = await authHeaders('alice');
    // Her page first, so this isolate holds the bundle the write-through brings forward.
    expect((await call('/api/v1/intro-page/alice', { headers: alice })).status).toBe(200);
    const res = await call('/api/v1/tasks', json({ title: 'Outbox me' }, alice));
    expect(res.status).toBe(201);
    const { event } = await res.json<{ event: { id: number } }>();
    // The request and its waitUntil: one D1 round trip, the change's batch, which carries the
    // write-through's reads too; no outbox update of its own (the consumer stamps the row in the
    // batch it writes anyway).
    expect(lastD1Trace?.roundTrips).toBe(1);
    expect(lastD1Trace?.statements.filter((s) => /event_outbox/.test(s))).toEqual([expect.stringMatching(/^insert into "event_outbox"/)]);
    await applied(`alice:${event.id}`);
    const row = await outboxRow(`alice:${event.id}`);
    expect(row?.sent_at).toBeGreaterThan(0);
    expect(row?.relayed).toBe(0);
  });

  it('writes neither the change nor its event when the batch fails at the outbox row (injected failure)', async () => {
    const alice = await authHeaders('alice');
    const before = await Promise.all([
      count("select count(*) n from tasks where owner_id = 'alice'"),
      count("select count(*) n from activity_events where user_id = 'alice'"),
      count("select count(*) n from event_outbox where user_id = 'alice'"),
    ]);
    await env.DB.exec(
      "CREATE TRIGGER outbox_fault BEFORE INSERT ON event_outbox BEGIN SELECT RAISE(ABORT, 'injected outbox failure'); END",
    );
    try {
      const res = await call('/api/v1/tasks', json({ title: 'Never committed' }, alice));
      expect(res.status).toBe(500);
    } finally {
      await env.DB.exec('DROP TRIGGER outbox_fault');
    }
    const after = await Promise.all([
      count("select count(*) n from tasks where owner_id = 'alice'"),
      count("select count(*) n from activity_events where user_id = 'alice'"),
      count("select count(*) n from event_outbox where user_id = 'alice'"),
    ]);
    expect(after).toEqual(before);
    expect(await count("select count(*) n from tasks where title = 'Never committed'")).toBe(0);
  });

  it('loses nothing when the send fails after the commit: the relay sends it later, and it is applied once', async () => {
    const queue = breakableQueue(env.EVENTS);
    queue.mode = 'down';
    const bob = await authHeaders('bob');
    const res = await call('/api/v1/tasks', json({ title: 'Sent by the relay' }, bob), { env: { EVENTS: queue.binding } });
    expect(res.status).toBe(201);
    const { event } = await res.json<{ event: { id: number } }>();
    const id = `bob:${event.id}`;
    const row = await outboxRow(id);
    expect(row?.sent_at).toBeNull();
    expect(await processedRow(id)).toBeNull();

    // Within the bound the relay leaves it alone (the request's own send may still be running).
    expect((await runRelay(env, row!.occurred_at + RELAY_AFTER_MS - 1_000)).relayed).toBe(0);
    // After it, the relay sends it (with the real queue) and stamps it.
    const relay = await runRelay(env, row!.occurred_at + RELAY_AFTER_MS + 1_000);
    expect(relay.relayed).toBeGreaterThanOrEqual(1);
    expect(await outboxRow(id)).toMatchObject({ relayed: 1 });
    const processed = await applied(id);
    expect(processed.attempts).toBe(1);
    // A second run finds nothing to send, and the event stays applied once.
    await runRelay(env, row!.occurred_at + RELAY_AFTER_MS + 2_000);
    expect(await outboxRow(id)).toMatchObject({ relayed: 1 });
    expect(await count('select count(*) n from processed_events where event_id = ?', id)).toBe(1);
  });

  it('prunes sent rows older than the retention, and keeps unsent ones whatever their age', async () => {
    const now = Date.now();
    const old = now - OUTBOX_RETENTION_MS - 60_000;
    await env.DB.batch([
      env.DB.prepare(
        "insert into event_outbox (id, user_id, seq, type, version, payload, occurred_at, sent_at) values ('prune-me:1', 'prune-me', 1, 'task.deleted', 1, '{}', ?, ?)",
      ).bind(old, old),
    ]);
    const { pruned } = await runRelay(env, now);
    expect(pruned).toBeGreaterThanOrEqual(1);
    expect(await outboxRow('prune-me:1')).toBeNull();
  });

  it('runs the relay from the Cron Trigger (the worker’s scheduled handler)', async () => {
    const { createScheduledController, createExecutionContext, waitOnExecutionContext } = await import('cloudflare:test');
    const worker = (await import('../../worker/index')).default;
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: '* * * * *' }), env, ctx);
    await waitOnExecutionContext(ctx);
  });
});

describe('the events consumer', () => {
  it('covers the direct feed hand-off: when it fails, the event still reaches the open socket through the queue, once', async () => {
    const id = uniqueId('feed');
    await register(id);
    const feed = await openFeed(id, { after: 0 });
    await feed.until((m) => m.filter((x) => x.type === 'event').length >= 2, 'the first two events');
    const feeds = breakableObjects(env.ACTIVITY_FEED, 'ActivityFeed');
    feeds.mode = 'down';
    const res = await call(`/api/v1/tasks/${onboardingTaskId(id)}`, json({ status: 'done' }, await authHeaders(id), 'PATCH'), {
      env: { ACTIVITY_FEED: feeds.binding },
    });
    expect(res.status).toBe(200);
    await feed.until(
      (m) => m.some((x) => x.type === 'event' && x.event.type === 'task.completed'),
      'task.completed through the queue',
      15_000,
    );
    await applied(`${id}:3`);
    expect(feed.eventIds()).toEqual([1, 2, 3]);
    feed.ws.close();
  });

  it('marks the message when the direct hand-off reached the feed object, and not when it failed', async () => {
    const id = uniqueId('mark');
    await register(id);
    const headers = await authHeaders(id);
    const sent: unknown[] = [];
    const recording = new Proxy(env.EVENTS, {
      get(target, prop) {
        if (prop !== 'send') return Reflect.get(target, prop);
        return (body: unknown, options?: QueueSendOptions) => {
          sent.push(body);
          return target.send(body, options);
        };
      },
    });
    const feeds = breakableObjects(env.ACTIVITY_FEED, 'ActivityFeed');
    const patch = (title: string) =>
      call(`/api/v1/tasks/${onboardingTaskId(id)}`, json({ title }, headers, 'PATCH'), {
        env: { EVENTS: recording, ACTIVITY_FEED: feeds.binding },
      });
    expect((await patch('Reached the feed')).status).toBe(200);
    feeds.mode = 'down';
    expect((await patch('Missed the feed')).status).toBe(200);
    expect(sent).toEqual([
      expect.objectContaining({ id: `${id}:3`, feedDelivered: true }),
      expect.not.objectContaining({ feedDelivered: expect.anything() }),
    ]);
    expect(sent[1]).toMatchObject({ id: `${id}:4` });
    await applied(`${id}:4`);
  });

  it('applies a fresh event whose producer reached the feed in one D1 round trip, with no hand-off of its own', async () => {
    const id = uniqueId('one-trip');
    await register(id);
    // The change's send is lost, so only this test delivers it.
    const queue = breakableQueue(env.EVENTS);
    queue.mode = 'down';
    const res = await call(`/api/v1/tasks/${onboardingTaskId(id)}`, json({ status: 'done' }, await authHeaders(id), 'PATCH'), {
      env: { EVENTS: queue.binding },
    });
    expect(res.status).toBe(200);
    const row = await createDb(env.DB).query.eventOutbox.findFirst({ where: (t, { eq }) => eq(t.id, `${id}:3`) });
    const event = rowToDomainEvent(row!);
    expect(row?.sentAt).toBeNull();

    // The feed object is down: a consumer that called it would fail and retry.
    const feeds = breakableObjects(env.ACTIVITY_FEED, 'ActivityFeed');
    feeds.mode = 'down';
    const d1 = guardD1(env.DB);
    // Fresh as a queue delivers it within a second (an event over 5 s old also refreshes the bundle).
    const fresh = { ...event, occurredAt: new Date().toISOString(), feedDelivered: true };
    const marked = await deliver([fresh], { env: { DB: d1.db, ACTIVITY_FEED: feeds.binding } });
    expect(marked.explicitAcks).toHaveLength(1);
    expect(d1.trace.roundTrips).toBe(1);
    // The record (answered by RETURNING), active user, its counter, tasksCompletedToday, the cursor, the stamp.
    expect(d1.trace.statements).toHaveLength(6);
    expect(await processedRow(event.id)).toMatchObject({ done: 1, attempts: 1, skipped: 0 });
    // Received by a consumer: the relay will not send it again.
    expect((await outboxRow(event.id))?.sent_at).toBeGreaterThan(0);
    expect(await count('select last_seq n from event_cursors where user_id = ?', id)).toBe(3);
    const day = event.occurredAt.slice(0, 10);
    expect(await count('select count(*) n from daily_active_users where user_id = ? and day = ?', id, day)).toBe(1);
  });

  it('hands an unmarked event to the feed itself, and retries until the feed object takes it', async () => {
    const id = uniqueId('unmarked');
    await register(id);
    const queue = breakableQueue(env.EVENTS);
    queue.mode = 'down';
    const res = await call(`/api/v1/tasks/${onboardingTaskId(id)}`, json({ title: 'Unmarked' }, await authHeaders(id), 'PATCH'), {
      env: { EVENTS: queue.binding },
    });
    expect(res.status).toBe(200);
    const row = await createDb(env.DB).query.eventOutbox.findFirst({ where: (t, { eq }) => eq(t.id, `${id}:3`) });
    const event = rowToDomainEvent(row!);
    const feeds = breakableObjects(env.ACTIVITY_FEED, 'ActivityFeed');
    feeds.mode = 'down';
    const first = await deliver([event], { env: { ACTIVITY_FEED: feeds.binding } });
    expect(first.retryMessages).toHaveLength(1);
    // Applied once in D1 (the claim committed), its effects still to run.
    expect(await processedRow(event.id)).toMatchObject({ done: 0 });
    feeds.mode = 'up';
    const second = await deliver([event], { attempts: 2, env: { ACTIVITY_FEED: feeds.binding } });
    expect(second.explicitAcks).toHaveLength(1);
    expect(await processedRow(event.id)).toMatchObject({ done: 1, attempts: 1 });
    expect(await count("select count(*) n from activity_events where user_id = ? and type = 'task.updated'", id)).toBe(1);
  });

  it('applies the same message delivered twice once', async () => {
    const id = uniqueId('dup');
    await register(id);
    const task = onboardingTaskId(id);
    const res = await call(`/api/v1/tasks/${task}`, json({ status: 'done' }, await authHeaders(id), 'PATCH'));
    expect(res.status).toBe(200);
    const eventId = `${id}:3`;
    await applied(eventId);
    const day = new Date().toISOString().slice(0, 10);
    const completed = () =>
      count("select coalesce(sum(value), 0) n from daily_counters where name = 'tasksCompletedToday' and day = ?", day);
    const before = await completed();
    const row = await env.DB.prepare('select * from event_outbox where id = ?').bind(eventId).first();
    const body = rowToDomainEvent({
      ...(row as Record<string, unknown>),
      userId: id,
      seq: 3,
      type: 'task.completed',
      version: 1,
      payload: JSON.parse(String((row as { payload: string }).payload)),
      occurredAt: new Date(Number((row as { occurred_at: number }).occurred_at)),
    } as never);
    const result = await deliver([body, body]);
    expect(result.explicitAcks).toHaveLength(2);
    expect(result.retryMessages).toEqual([]);
    expect(await completed()).toBe(before);
    expect(await count('select count(*) n from processed_events where event_id = ?', eventId)).toBe(1);
  });

  it('retries a poison message with growing backoff, records its error, dead-letters it, and a replay after the fix applies it once', async () => {
    const ghost = uniqueId('ghost');
    const poison = {
      id: `${ghost}:1`,
      type: 'user.registered',
      version: 1,
      occurredAt: new Date().toISOString(),
      userId: ghost,
      seq: 1,
      payload: { displayName: 'Nobody yet', email: null, timeZone: 'UTC', locale: 'en-US' },
    };
    const delays: number[] = [];
    for (let attempts = 1; attempts <= 5; attempts++) {
      const result = await deliver([poison], { attempts });
      expect(result.explicitAcks).toEqual([]);
      expect(result.retryMessages).toHaveLength(1);
      delays.push(result.delays[0]!);
    }
    expect(delays).toEqual([2, 4, 8, 16, 32]);
    expect(backoffSeconds(20)).toBe(MAX_BACKOFF_SECONDS);
    expect(await processedRow(poison.id)).toBeNull();
    expect(await count('select count(*) n from tasks where owner_id = ?', ghost)).toBe(0);

    // Queues moves it to the dead-letter queue after max_retries; that consumer records it.
    const dead = await deliver([poison], { queue: 'foyer-events-dlq-local' });
    expect(dead.explicitAcks).toHaveLength(1);
    const list = await call('/api/v1/admin/dead-letters', { headers: admin });
    expect(list.status).toBe(200);
    const { deadLetters } = await list.json<{ deadLetters: { eventId: string; error: string; attempts: number; replayedAt: null }[] }>();
    const letter = deadLetters.find((d) => d.eventId === poison.id);
    expect(letter).toMatchObject({ attempts: 5, replayedAt: null });
    expect(letter?.error).toMatch(/FOREIGN KEY/i);

    // The fix: the user the event is about now exists (restored by an operator, without events).
    await env.DB.prepare("insert into users (id, name, email) values (?, 'Restored', ?)").bind(ghost, `${ghost}@example.test`).run();
    const replay = await call('/api/v1/admin/dead-letters/replay', json({ ids: [poison.id] }, admin));
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ replayed: [poison.id], skipped: [], recorded: true });
    await applied(poison.id);
    expect(await count('select count(*) n from tasks where owner_id = ?', ghost)).toBe(1);

    // Replaying again does no harm: nothing is sent twice, and the task stays one.
    const again = await call('/api/v1/admin/dead-letters/replay', json({ ids: [poison.id] }, admin));
    expect(await again.json()).toEqual({ replayed: [], skipped: [poison.id], recorded: true });
    const redelivered = await deliver([poison]);
    expect(redelivered.explicitAcks).toHaveLength(1);
    expect(await count('select count(*) n from tasks where owner_id = ?', ghost)).toBe(1);
    const audits = await count(
      "select count(*) n from audit_log where action = 'events.dead-letters.replay' and detail like ?",
      `%${poison.id}%`,
    );
    expect(audits).toBe(2);
  });

  it('a replay whose audit write fails still answers what it sent, and a second replay resends it', async () => {
    const ghost = uniqueId('unaudited');
    await env.DB.prepare("insert into users (id, name, email) values (?, 'Restored', ?)").bind(ghost, `${ghost}@example.test`).run();
    const event = {
      id: `${ghost}:1`,
      type: 'user.registered',
      version: 1,
      occurredAt: new Date().toISOString(),
      userId: ghost,
      seq: 1,
      payload: { displayName: 'Restored', email: null, timeZone: 'UTC', locale: 'en-US' },
    };
    await env.DB.prepare(
      "insert into dead_letters (event_id, user_id, type, body, error, attempts, dead_lettered_at) values (?, ?, 'user.registered', ?, 'x', 5, ?)",
    )
      .bind(event.id, ghost, JSON.stringify(event), Date.now())
      .run();
    // D1 refuses the replay's audit row, the way a failing database would; the consumer's own go in.
    await env.DB.prepare(
      "create trigger refuse_audit before insert on audit_log when new.action = 'events.dead-letters.replay' begin select raise(abort, 'audit_log is unavailable'); end",
    ).run();
    try {
      const replay = await call('/api/v1/admin/dead-letters/replay', json({ ids: [event.id] }, admin));
      expect(replay.status).toBe(200);
      expect(await replay.json()).toEqual({ replayed: [event.id], skipped: [], recorded: false });
      await applied(event.id);
    } finally {
      await env.DB.prepare('drop trigger refuse_audit').run();
    }
    // Not stamped, so it is replayable again; the consumer applies the event id once.
    const again = await call('/api/v1/admin/dead-letters/replay', json({ ids: [event.id] }, admin));
    expect(await again.json()).toEqual({ replayed: [event.id], skipped: [], recorded: true });
    await applied(event.id);
    expect(await count('select count(*) n from tasks where owner_id = ?', ghost)).toBe(1);
    expect(
      await count("select count(*) n from audit_log where action = 'events.dead-letters.replay' and detail like ?", `%${event.id}%`),
    ).toBe(1);
  });

  it('applies one user’s events in order when they arrive out of order, and applies ahead of a lost one after three waits', async () => {
    const id = uniqueId('order');
    await register(id);
    // Three changes whose sends are lost, so the test alone decides the delivery order.
    const queue = breakableQueue(env.EVENTS);
    queue.mode = 'down';
    const headers = await authHeaders(id);
    const task = onboardingTaskId(id);
    for (const status of ['done', 'open', 'done']) {
      const res = await call(`/api/v1/tasks/${task}`, json({ status }, headers, 'PATCH'), { env: { EVENTS: queue.binding } });
      expect(res.status).toBe(200);
    }
    const rows = await createDb(env.DB).query.eventOutbox.findMany({ where: (t, { eq }) => eq(t.userId, id) });
    const event = (seq: number) => rowToDomainEvent(rows.find((r) => r.seq === seq)!);
    const cursor = () => count('select last_seq n from event_cursors where user_id = ?', id);

    // seq 4 before seq 3: it waits (a short retry), nothing of it is applied.
    const early = await deliver([event(4)]);
    expect(early.retryMessages).toHaveLength(1);
    expect(early.delays).toEqual([REORDER_DELAY_SECONDS]);
    expect(await processedRow(`${id}:4`)).toBeNull();
    expect(await cursor()).toBe(2);
    // seq 3 arrives, then 4 comes back: both applied, in order.
    expect((await deliver([event(3)])).explicitAcks).toHaveLength(1);
    expect((await deliver([event(4)], { attempts: 2 })).explicitAcks).toHaveLength(1);
    expect(await cursor()).toBe(4);

    // seq 5's predecessor is there; pretend 5 is lost and 6 (a made-up later event) arrives: it waits three
    // deliveries, then is applied anyway and marked skipped.
    const six = { ...event(5), id: `${id}:6`, seq: 6 };
    for (let attempts = 1; attempts <= 3; attempts++) expect((await deliver([six], { attempts })).retryMessages).toHaveLength(1);
    expect((await deliver([six], { attempts: 4 })).explicitAcks).toHaveLength(1);
    expect(await processedRow(six.id)).toMatchObject({ skipped: 1 });
    // The late one is still applied, once, and the cursor does not go back.
    expect((await deliver([event(5)])).explicitAcks).toHaveLength(1);
    expect(await cursor()).toBe(6);

    // The end state is the last change's: the task is done, and the intro page says so.
    const page = await waitFor(async () => {
      const res = await call(`/api/v1/intro-page/${id}`, { headers });
      const body = await res.json<{ sections: { userStatistics: { completedThisWeek: number; openTasks: number } } }>();
      return body.sections.userStatistics.openTasks === 0 ? body : null;
    }, 'the page to show the task done');
    expect(page.sections.userStatistics.completedThisWeek).toBe(1);
  });

  it('retries a message that is not a known event, and the dead-letter consumer records it with its error', async () => {
    const bogus = { id: uniqueId('bogus'), type: 'task.exploded', version: 9 };
    const result = await deliver([bogus]);
    expect(result.retryMessages).toHaveLength(1);
    await deliver([bogus], { queue: 'foyer-events-dlq-local' });
    const row = await env.DB.prepare('select * from dead_letters where event_id = ?')
      .bind(bogus.id)
      .first<{ error: string; type: string }>();
    expect(row).toMatchObject({ type: 'task.exploded' });
    expect(row?.error).toMatch(/Not a known event/);
    // A body that is not even an object is recorded under the message id.
    await deliver(['not json at all'], { queue: 'foyer-events-dlq-local' });
    expect(await count("select count(*) n from dead_letters where type = 'unknown' and error like 'No failure%'")).toBeGreaterThanOrEqual(
      1,
    );
  });
});
