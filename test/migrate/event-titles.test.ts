import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { domainEventSchema } from '../../worker/events/catalog';

const db = env.MIGRATION_DB;
const TITLES = '0003_event_task_titles.sql';

async function payloadOf(table: 'activity_events' | 'event_outbox', userId: string, seq: number) {
  const sql =
    table === 'activity_events'
      ? 'select payload from activity_events where user_id = ? and id = ?'
      : 'select payload from event_outbox where user_id = ? and seq = ?';
  const row = await db.prepare(sql).bind(userId, seq).first<{ payload: string }>();
  return JSON.parse(row!.payload) as Record<string, unknown>;
}

beforeAll(async () => {
  // The schema as the previous release left it: every migration before 0003.
  const before = env.TEST_MIGRATIONS.slice(
    0,
    env.TEST_MIGRATIONS.findIndex((m) => m.name === TITLES),
  );
  expect(before.map((m) => m.name)).toEqual(['0000_init.sql', '0001_feature_flags.sql', '0002_events_outbox.sql']);
  await applyD1Migrations(db, before);

  // Old-shape rows: task events that carry only the task id, as that release wrote them.
  const at = Date.parse('2026-12-01T09:00:00Z');
  const event = (seq: number, type: string, payload: object) =>
    db
      .prepare('insert into activity_events (user_id, id, type, payload, created_at) values (?, ?, ?, ?, ?)')
      .bind('alice', seq, type, JSON.stringify(payload), at + seq);
  await db.batch([
    db.prepare("insert into users (id, name, email) values ('alice', 'Alice Archer', 'alice@foyer.example')"),
    db.prepare("insert into tasks (id, owner_id, title, status) values ('t-passport', 'alice', 'Renew passport', 'done')"),
    event(1, 'task.created', { taskId: 't-passport', title: 'Renew passport', priority: 'high', dueAt: null }),
    event(2, 'task.completed', { taskId: 't-passport', changes: ['status'] }),
    // A task deleted before the upgrade: only its creation event still knows its title.
    event(3, 'task.created', { taskId: 't-plants', title: 'Water the plants', priority: 'normal', dueAt: null }),
    event(4, 'task.snoozed', { taskId: 't-plants', changes: ['snoozedUntil'], until: '2026-12-02T09:00:00Z' }),
    event(5, 'task.deleted', { taskId: 't-plants' }),
    // Nothing anywhere names this one: it stays as it was.
    event(6, 'task.updated', { taskId: 't-unknown', changes: ['priority'] }),
    event(7, 'preferences.updated', { fields: ['theme'], by: 'alice' }),
    // Its outbox copy, not yet sent: the relay would send this payload.
    db
      .prepare(
        "insert into event_outbox (id, user_id, seq, type, version, payload, occurred_at) values ('alice:2', 'alice', 2, 'task.completed', 1, ?, ?)",
      )
      .bind(JSON.stringify({ taskId: 't-passport', changes: ['status'] }), at + 2),
  ]);

  await applyD1Migrations(db, env.TEST_MIGRATIONS);
});

describe('migration 0003: old task events get their title', () => {
  it('applies after 0002', async () => {
    const { results } = await db.prepare('select name from d1_migrations order by id').all<{ name: string }>();
    expect(results.map((r) => r.name)).toContain(TITLES);
  });

  it('fills an existing task from the tasks table, keeping the other fields', async () => {
    expect(await payloadOf('activity_events', 'alice', 2)).toEqual({ taskId: 't-passport', changes: ['status'], title: 'Renew passport' });
  });

  it('fills a deleted task from its task.created event', async () => {
    expect(await payloadOf('activity_events', 'alice', 4)).toMatchObject({ taskId: 't-plants', title: 'Water the plants' });
    expect(await payloadOf('activity_events', 'alice', 5)).toEqual({ taskId: 't-plants', title: 'Water the plants' });
  });

  it('leaves what it cannot name and what is no task event as they were', async () => {
    expect(await payloadOf('activity_events', 'alice', 6)).toEqual({ taskId: 't-unknown', changes: ['priority'] });
    expect(await payloadOf('activity_events', 'alice', 7)).toEqual({ fields: ['theme'], by: 'alice' });
  });

  it('fills the outbox copy too, which still validates against the catalog', async () => {
    const payload = await payloadOf('event_outbox', 'alice', 2);
    expect(payload).toEqual(await payloadOf('activity_events', 'alice', 2));
    const event = {
      id: 'alice:2',
      type: 'task.completed',
      version: 1,
      occurredAt: new Date().toISOString(),
      userId: 'alice',
      seq: 2,
      payload,
    };
    expect(domainEventSchema.safeParse(event).success).toBe(true);
  });
});
