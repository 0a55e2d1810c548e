import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { generateSeed } from '../../drizzle/seed/demo-data';
import { D1_MAX_BOUND_PARAMETERS, seedStatements, toSqlScript } from '../../drizzle/seed/statements';
import { authHeaders } from '../helpers/auth';
import { guardD1 } from '../helpers/d1-guard';
import { call, lastD1Trace } from '../helpers/http';

const NOW = Date.parse('2026-11-18T10:00:00Z');

async function counts() {
  const row = await env.DB.prepare(
    'select (select count(*) from users) as users, (select count(*) from tasks) as tasks, (select count(*) from activity_events) as events, (select count(*) from preferences) as prefs',
  ).first<Record<string, number>>();
  return row;
}

async function runSeed(db: D1Database, now: number, seedUsers: number) {
  const statements = seedStatements(generateSeed({ now, seedUsers }));
  for (let i = 0; i < statements.length; i += 50) {
    await db.batch(statements.slice(i, i + 50).map((s) => db.prepare(s.sql).bind(...s.params)));
  }
  return statements;
}

describe('deterministic, idempotent seed', () => {
  it('the same inputs give the same rows', () => {
    expect(generateSeed({ now: NOW, seedUsers: 10 })).toEqual(generateSeed({ now: NOW, seedUsers: 10 }));
  });

  it('gives generated users realistic volumes (about 30 tasks and 50 events each)', () => {
    const data = generateSeed({ now: NOW, seedUsers: 50 });
    const generated = data.users.filter((u) => u.id.startsWith('user-'));
    expect(generated.map((u) => u.id).slice(0, 2)).toEqual(['user-00001', 'user-00002']);
    const perUser = (rows: { owner_id?: string; user_id?: string }[], id: string) =>
      rows.filter((r) => (r.owner_id ?? r.user_id) === id).length;
    for (const u of generated) {
      expect(perUser(data.tasks, u.id)).toBeGreaterThanOrEqual(25);
      expect(perUser(data.tasks, u.id)).toBeLessThanOrEqual(35);
      expect(perUser(data.events, u.id)).toBeGreaterThanOrEqual(50);
    }
  });

  it('gives the named users tasks in every state', () => {
    const data = generateSeed({ now: NOW, seedUsers: 0 });
    for (const id of ['alice', 'bob', 'ops']) {
      const tasks = data.tasks.filter((t) => t.owner_id === id);
      expect(tasks.some((t) => t.status === 'open' && t.due_at !== null && t.due_at < NOW)).toBe(true); // overdue
      expect(tasks.some((t) => t.status === 'open' && t.due_at !== null && t.due_at > NOW)).toBe(true); // due later
      expect(tasks.some((t) => t.status === 'done')).toBe(true);
      expect(data.events.some((e) => e.user_id === id)).toBe(true);
    }
  });

  it('numbers every user’s events in time order: ids 1, 2, 3 … and createdAt rise together', () => {
    const data = generateSeed({ now: NOW, seedUsers: 20 });
    const byUser = new Map<string, typeof data.events>();
    for (const e of data.events) byUser.set(e.user_id, [...(byUser.get(e.user_id) ?? []), e]);
    expect(byUser.size).toBe(23);
    for (const [userId, events] of byUser) {
      expect(
        events.map((e) => e.id),
        userId,
      ).toEqual(events.map((_, i) => i + 1));
      for (let i = 1; i < events.length; i++) {
        // The named users' events are all at distinct moments, so theirs rise strictly.
        const [earlier, later] = [events[i - 1]!.created_at, events[i]!.created_at];
        if (['alice', 'bob', 'ops'].includes(userId)) expect(later, `${userId} event ${i + 1}`).toBeGreaterThan(earlier);
        else expect(later, `${userId} event ${i + 1}`).toBeGreaterThanOrEqual(earlier);
      }
    }
    // Alice's newest four are her completions, oldest first: 5 days ago, 2 days, yesterday, today.
    const alice = byUser.get('alice')!.slice(-4);
    expect(alice.map((e) => [e.id, e.type, JSON.parse(e.payload).taskId])).toEqual([
      [12, 'task.completed', 'alice-task-11'],
      [13, 'task.completed', 'alice-task-10'],
      [14, 'task.completed', 'alice-task-9'],
      [15, 'task.completed', 'alice-task-8'],
    ]);
  });

  it('never binds more than D1 allows in one statement, and the D1 guard proves it would fail', async () => {
    const statements = seedStatements(generateSeed({ now: NOW, seedUsers: 30 }));
    expect(Math.max(...statements.map((s) => s.params.length))).toBeLessThanOrEqual(D1_MAX_BOUND_PARAMETERS);
    const { db, trace } = guardD1(env.DB);
    await runSeed(db, NOW, 30);
    expect(trace.maxBound).toBeGreaterThan(50);
    expect(trace.maxBound).toBeLessThanOrEqual(D1_MAX_BOUND_PARAMETERS);
    // The guard is real: a 101-parameter statement is refused.
    const wide = `select ${Array.from({ length: 101 }, () => '?').join(', ')}`;
    expect(() => db.prepare(wide).bind(...Array.from({ length: 101 }, (_, i) => i))).toThrow(/binds 101 parameters/);
  });

  it('running it twice leaves the same rows, and a later run re-anchors the demo tasks to the new day', async () => {
    await runSeed(env.DB, NOW, 30);
    const first = await counts();
    await runSeed(env.DB, NOW, 30);
    expect(await counts()).toEqual(first);
    const later = NOW + 2 * 86_400_000;
    await runSeed(env.DB, later, 30);
    expect(await counts()).toEqual(first);
    const due = await env.DB.prepare("select due_at from tasks where id = 'alice-task-1'").first<{ due_at: number }>();
    expect(due?.due_at).toBe(later - 3 * 86_400_000);
  });

  it('the CLI script inlines values safely (quotes doubled, NULLs, numbers)', () => {
    const sql = toSqlScript([{ sql: 'insert into t (a, b, c) values (?, ?, ?)', params: ["O'Brien", null, 42] }]);
    expect(sql).toBe("insert into t (a, b, c) values ('O''Brien', NULL, 42);");
  });

  it('the API path binds within the limit: a page and a write', async () => {
    await call('/api/v1/intro-page/alice', { headers: await authHeaders('alice') });
    expect(lastD1Trace?.maxBound).toBeLessThanOrEqual(D1_MAX_BOUND_PARAMETERS);
    await call('/api/v1/tasks', {
      method: 'POST',
      headers: { ...(await authHeaders('alice')), 'Content-Type': 'application/json' },
      body: '{"title":"x"}',
    });
    expect(lastD1Trace?.maxBound).toBeLessThanOrEqual(D1_MAX_BOUND_PARAMETERS);
  });

  it('a cold page costs exactly one D1 round trip', async () => {
    await call('/api/v1/intro-page/bob', { headers: await authHeaders('bob') });
    expect(lastD1Trace?.roundTrips).toBe(1);
  });
});
