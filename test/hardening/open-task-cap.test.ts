import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_OPEN_TASKS } from '../../worker/services/tasks';
import { authHeaders } from '../helpers/auth';
import { call, json } from '../helpers/http';
import { seed } from '../helpers/seed';

const USER = 'user-00001';
let headers: Record<string, string>;

async function counts() {
  const one = (sql: string) => env.DB.prepare(sql).bind(USER).first<{ n: number }>();
  return {
    open: (await one("select count(*) as n from tasks where owner_id = ? and status = 'open'"))!.n,
    tasks: (await one('select count(*) as n from tasks where owner_id = ?'))!.n,
    events: (await one('select count(*) as n from activity_events where user_id = ?'))!.n,
    outbox: (await one('select count(*) as n from event_outbox where user_id = ?'))!.n,
  };
}

/** Fills the user's open tasks up to `open` with rows written straight to D1 (the API would take minutes). */
async function fillOpenTasksTo(open: number) {
  const missing = open - (await counts()).open;
  const now = Date.now();
  const rows = Array.from({ length: missing }, (_, i) =>
    env.DB.prepare('insert into tasks (id, owner_id, title, status, priority, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?)').bind(
      `cap-${now}-${i}`,
      USER,
      `Filler ${i}`,
      'open',
      'normal',
      now,
      now,
    ),
  );
  for (let i = 0; i < rows.length; i += 100) await env.DB.batch(rows.slice(i, i + 100));
  expect((await counts()).open).toBe(open);
}

async function expectCapProblem(res: Response) {
  expect(res.status).toBe(409);
  const problem = await res.json<{ detail: string; limit: number }>();
  expect(problem.limit).toBe(MAX_OPEN_TASKS);
  expect(problem.detail).toContain(`${MAX_OPEN_TASKS} open tasks`);
}

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 1 });
  headers = await authHeaders(USER);
});

describe(`finding 7: at most ${MAX_OPEN_TASKS} open tasks per user`, { timeout: 30_000 }, () => {
  it('is a documented, named limit of 500', () => {
    expect(MAX_OPEN_TASKS).toBe(500);
  });

  it('the last task under the cap is created; the next answers 409 naming the limit, and writes nothing', async () => {
    await fillOpenTasksTo(MAX_OPEN_TASKS - 1);
    expect((await call('/api/v1/tasks', json({ title: 'The 500th' }, headers))).status).toBe(201);
    const before = await counts();
    expect(before.open).toBe(MAX_OPEN_TASKS);
    await expectCapProblem(await call('/api/v1/tasks', json({ title: 'One too many' }, headers)));
    expect(await counts()).toEqual(before);
  });

  it('reopening a done task at the cap answers 409 too, and changes nothing', async () => {
    const done = await env.DB.prepare("select id from tasks where owner_id = ? and status = 'done' limit 1")
      .bind(USER)
      .first<{ id: string }>();
    const before = await counts();
    await expectCapProblem(await call(`/api/v1/tasks/${done!.id}`, json({ status: 'open' }, headers, 'PATCH')));
    expect(await counts()).toEqual(before);
    const row = await env.DB.prepare('select status from tasks where id = ?').bind(done!.id).first<{ status: string }>();
    expect(row?.status).toBe('done');
  });

  it('other changes still work at the cap: rename, complete, delete; then one new task fits again', async () => {
    const [a, b] = (
      await env.DB.prepare("select id from tasks where owner_id = ? and status = 'open' limit 2").bind(USER).all<{ id: string }>()
    ).results;
    expect((await call(`/api/v1/tasks/${a!.id}`, json({ title: 'Renamed at the cap', status: 'open' }, headers, 'PATCH'))).status).toBe(
      200,
    );
    expect((await call(`/api/v1/tasks/${a!.id}`, json({ status: 'done' }, headers, 'PATCH'))).status).toBe(200);
    expect((await call('/api/v1/tasks', json({ title: 'Fits again' }, headers))).status).toBe(201);
    expect((await call(`/api/v1/tasks/${b!.id}`, { method: 'DELETE', headers })).status).toBe(200);
    expect((await call('/api/v1/tasks', json({ title: 'Fits again too' }, headers))).status).toBe(201);
    await expectCapProblem(await call('/api/v1/tasks', json({ title: 'Over again' }, headers)));
  });

  it('concurrent creates one under the cap: exactly one is created (the check is inside the write)', async () => {
    const done = await env.DB.prepare("select id from tasks where owner_id = ? and status = 'open' limit 1")
      .bind(USER)
      .first<{ id: string }>();
    expect((await call(`/api/v1/tasks/${done!.id}`, json({ status: 'done' }, headers, 'PATCH'))).status).toBe(200);
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => call('/api/v1/tasks', json({ title: `Race ${i}` }, headers))));
    expect(answers.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    expect((await counts()).open).toBe(MAX_OPEN_TASKS);
  });

  it('a missing task is still 404 when reopening, not 409', async () => {
    expect((await call('/api/v1/tasks/no-such-task', json({ status: 'open' }, headers, 'PATCH'))).status).toBe(404);
  });
});
