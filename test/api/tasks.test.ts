import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { authHeaders } from '../helpers/auth';
import { call, json } from '../helpers/http';
import { seed } from '../helpers/seed';

type Change = {
  task: { id: string; status: string; completedAt: string | null; title: string };
  event: { id: number; type: string; payload: Record<string, unknown> };
};

async function eventCount(userId: string): Promise<number> {
  return (await env.DB.prepare('select count(*) as n from activity_events where user_id = ?').bind(userId).first<{ n: number }>())!.n;
}
async function taskCount(userId: string): Promise<number> {
  return (await env.DB.prepare('select count(*) as n from tasks where owner_id = ?').bind(userId).first<{ n: number }>())!.n;
}

let alice: Record<string, string>;
let bob: Record<string, string>;

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 0 });
  alice = await authHeaders('alice');
  bob = await authHeaders('bob');
});

describe('tasks: each change recorded as an activity event', () => {
  it('creates a task and its task.created event with the next per-user id', async () => {
    const before = await eventCount('alice');
    const res = await call('/api/v1/tasks', json({ title: '  Buy milk  ', priority: 'high', dueAt: '2026-12-01T09:00:00+01:00' }, alice));
    expect(res.status).toBe(201);
    const body = await res.json<Change>();
    expect(res.headers.get('Location')).toBe(`/api/v1/tasks/${body.task.id}`);
    expect(body.task).toMatchObject({ title: 'Buy milk', status: 'open', priority: 'high', dueAt: '2026-12-01T08:00:00.000Z' });
    expect(body.event).toMatchObject({ id: before + 1, type: 'task.created', payload: { taskId: body.task.id, title: 'Buy milk' } });
    expect(await eventCount('alice')).toBe(before + 1);
  });

  it('completes a task (task.completed, completedAt set), then reopens it (completedAt cleared)', async () => {
    const done = await call('/api/v1/tasks/alice-task-2', json({ status: 'done' }, alice, 'PATCH'));
    expect(done.status).toBe(200);
    const d = await done.json<Change>();
    expect(d.task.status).toBe('done');
    expect(d.task.completedAt).not.toBeNull();
    expect(d.event.type).toBe('task.completed');
    const reopened = await (await call('/api/v1/tasks/alice-task-2', json({ status: 'open' }, alice, 'PATCH'))).json<Change>();
    expect(reopened.task.completedAt).toBeNull();
    expect(reopened.event).toMatchObject({ type: 'task.reopened', id: d.event.id + 1 });
  });

  it('snoozes a task (task.snoozed)', async () => {
    const res = await call('/api/v1/tasks/alice-task-4', json({ snoozedUntil: '2030-01-01T00:00:00Z' }, alice, 'PATCH'));
    expect((await res.json<Change>()).event).toMatchObject({ type: 'task.snoozed', payload: { until: '2030-01-01T00:00:00Z' } });
  });

  it('deletes a task (task.deleted) and then answers 404 for it', async () => {
    const res = await call('/api/v1/tasks/alice-task-5', { method: 'DELETE', headers: alice });
    expect(res.status).toBe(200);
    expect((await res.json<Change>()).event.type).toBe('task.deleted');
    expect((await call('/api/v1/tasks/alice-task-5', { method: 'DELETE', headers: alice })).status).toBe(404);
  });

  it("lists only the caller's tasks, filtered by status", async () => {
    const res = await call('/api/v1/tasks?status=done&limit=50', { headers: bob });
    const { tasks } = await res.json<{ tasks: { id: string; status: string }[] }>();
    expect(tasks.length).toBeGreaterThan(0);
    expect(tasks.every((t) => t.id.startsWith('bob-') && t.status === 'done')).toBe(true);
  });

  it("cannot touch another user's task: 404 and nothing written", async () => {
    const before = [await eventCount('alice'), await eventCount('bob')];
    const res = await call('/api/v1/tasks/alice-task-1', json({ status: 'done' }, bob, 'PATCH'));
    expect(res.status).toBe(404);
    expect((await call('/api/v1/tasks/alice-task-1', { method: 'DELETE', headers: bob })).status).toBe(404);
    expect([await eventCount('alice'), await eventCount('bob')]).toEqual(before);
    const row = await env.DB.prepare("select status from tasks where id = 'alice-task-1'").first<{ status: string }>();
    expect(row?.status).toBe('open');
  });
});

describe('bad input gets a 400 with every field error, and loses nothing', () => {
  const cases: [string, unknown, string[]][] = [
    ['empty title', { title: '   ' }, ['json.title']],
    ['title too long', { title: 'x'.repeat(201) }, ['json.title']],
    ['unknown priority and a bad date', { title: 'ok', priority: 'urgent', dueAt: 'tomorrow' }, ['json.priority', 'json.dueAt']],
    ['unknown field', { title: 'ok', owner: 'bob' }, ['json']],
    ['not an object', ['title'], ['json']],
  ];
  for (const [name, body, paths] of cases) {
    it(name, async () => {
      const before = await taskCount('alice');
      const res = await call('/api/v1/tasks', json(body, alice));
      expect(res.status).toBe(400);
      const problem = await res.json<{ errors: { path: string; message: string }[] }>();
      expect(problem.errors.map((e) => e.path).sort()).toEqual([...paths].sort());
      expect(problem.errors.every((e) => e.message.length > 0)).toBe(true);
      expect(await taskCount('alice')).toBe(before);
    });
  }

  it('an empty patch is a 400, not a silent no-op', async () => {
    expect((await call('/api/v1/tasks/alice-task-1', json({}, alice, 'PATCH'))).status).toBe(400);
  });

  it('a bad status filter is a 400 on the query field', async () => {
    const res = await call('/api/v1/tasks?status=maybe', { headers: alice });
    expect(res.status).toBe(400);
    expect((await res.json<{ errors: { path: string }[] }>()).errors[0]?.path).toBe('query.status');
  });
});

describe('a change and its event commit together or not at all', () => {
  it('when the event insert fails, the task is not created either', async () => {
    await env.DB.exec("create trigger fail_events before insert on activity_events begin select raise(abort, 'events are down'); end");
    try {
      const [tasksBefore, eventsBefore] = [await taskCount('alice'), await eventCount('alice')];
      const res = await call('/api/v1/tasks', json({ title: 'Should not exist' }, alice));
      expect(res.status).toBe(500);
      expect(await res.text()).not.toContain('events are down');
      expect([await taskCount('alice'), await eventCount('alice')]).toEqual([tasksBefore, eventsBefore]);

      const patch = await call('/api/v1/tasks/alice-task-3', json({ title: 'Renamed' }, alice, 'PATCH'));
      expect(patch.status).toBe(500);
      const row = await env.DB.prepare("select title from tasks where id = 'alice-task-3'").first<{ title: string }>();
      expect(row?.title).toBe('Review Q4 roadmap');
    } finally {
      await env.DB.exec('drop trigger fail_events');
    }
  });

  it('when the task write fails, no event is recorded', async () => {
    await env.DB.exec("create trigger fail_tasks before update on tasks begin select raise(abort, 'tasks are down'); end");
    try {
      const before = await eventCount('alice');
      expect((await call('/api/v1/tasks/alice-task-3', json({ status: 'done' }, alice, 'PATCH'))).status).toBe(500);
      expect(await eventCount('alice')).toBe(before);
    } finally {
      await env.DB.exec('drop trigger fail_tasks');
    }
  });

  it('when the delete fails, its event (recorded first, to keep the title) is not recorded either', async () => {
    // D1 refuses the delete the way a busy database does (a 503 the client may retry).
    await env.DB.exec(
      "create trigger fail_deletes before delete on tasks begin select raise(abort, 'database is locked: SQLITE_BUSY'); end",
    );
    try {
      const before = await eventCount('alice');
      expect((await call('/api/v1/tasks/alice-task-3', { method: 'DELETE', headers: alice })).status).toBe(503);
      expect(await eventCount('alice')).toBe(before);
      expect(await env.DB.prepare("select id from tasks where id = 'alice-task-3'").first()).not.toBeNull();
    } finally {
      await env.DB.exec('drop trigger fail_deletes');
    }
  });

  it('event ids stay contiguous per user across many writes', async () => {
    for (let i = 0; i < 5; i++) await call('/api/v1/tasks', json({ title: `Burst ${i}` }, bob));
    const { results } = await env.DB.prepare("select id from activity_events where user_id = 'bob' order by id").all<{ id: number }>();
    expect(results.map((r) => r.id)).toEqual(results.map((_, i) => i + 1));
  });
});
