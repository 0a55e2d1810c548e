import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { authHeaders } from '../helpers/auth';
import { D1_OUTAGE_MESSAGES, switchableD1 } from '../helpers/d1-outage';
import { call, json } from '../helpers/http';
import { seed } from '../helpers/seed';

/** Rows that a write touches, to prove an outage leaves nothing half-written. */
async function snapshot(userId: string) {
  const q = (sql: string) => env.DB.prepare(sql).bind(userId).first<{ n: number; h: string }>();
  return {
    tasks: await q("select count(*) as n, group_concat(id || title || status, ',') as h from tasks where owner_id = ?"),
    events: await q('select count(*) as n, max(id) as h from activity_events where user_id = ?'),
    prefs: await q("select count(*) as n, group_concat(theme || coalesce(locale, ''), ',') as h from preferences where user_id = ?"),
  };
}

let alice: Record<string, string>;

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 0 });
  alice = await authHeaders('alice');
});

describe('finding 1: a write while D1 is unavailable answers 503 with Retry-After, and writes nothing', () => {
  const writes: [string, string, RequestInit][] = [
    ['POST /tasks', '/api/v1/tasks', { method: 'POST', body: JSON.stringify({ title: 'During the outage' }) }],
    ['PATCH /tasks/:id', '/api/v1/tasks/alice-task-3', { method: 'PATCH', body: JSON.stringify({ title: 'Renamed in outage' }) }],
    ['DELETE /tasks/:id', '/api/v1/tasks/alice-task-3', { method: 'DELETE' }],
    ['PATCH preferences', '/api/v1/users/alice/preferences', { method: 'PATCH', body: JSON.stringify({ theme: 'dark' }) }],
  ];
  for (const [label, message] of Object.entries(D1_OUTAGE_MESSAGES)) {
    for (const [name, path, init] of writes) {
      it(`${name} with D1 ${label}`, async () => {
        const d1 = switchableD1(env.DB);
        d1.failWith = message;
        const before = await snapshot('alice');
        const headers = { ...alice, ...(init.body ? { 'Content-Type': 'application/json' } : {}) };
        const res = await call(path, { ...init, headers }, { env: { DB: d1.db } });
        expect(res.status).toBe(503);
        expect(Number(res.headers.get('Retry-After'))).toBeGreaterThan(0);
        const body = await res.json<{ title: string; detail: string }>();
        expect(body.title).toBe('Service unavailable');
        expect(body.detail).toMatch(/nothing was changed/);
        expect(d1.roundTrips).toBeGreaterThan(0);
        expect(await snapshot('alice')).toEqual(before);
      });
    }
  }

  it('after D1 recovers, the same write succeeds with no manual step', async () => {
    const d1 = switchableD1(env.DB);
    d1.failWith = D1_OUTAGE_MESSAGES.locked;
    const create = () => call('/api/v1/tasks', json({ title: 'Retry me' }, alice), { env: { DB: d1.db } });
    expect((await create()).status).toBe(503);
    d1.failWith = undefined;
    expect((await create()).status).toBe(201);
  });

  it('a SQL bug is still a 500, not a 503 (only outages are retryable)', async () => {
    const d1 = switchableD1(env.DB);
    d1.failWith = 'D1_ERROR: no such column: titel: SQLITE_ERROR';
    expect((await call('/api/v1/tasks', json({ title: 'x' }, alice), { env: { DB: d1.db } })).status).toBe(500);
  });
});

describe('finding 5: a valid token for a user who is not in D1 cannot write', () => {
  it('POST /tasks answers 403 naming the cause, and nothing is written', async () => {
    const count = () => env.DB.prepare("select count(*) as n from tasks where owner_id = 'ghost'").first<{ n: number }>();
    const events = () => env.DB.prepare("select count(*) as n from activity_events where user_id = 'ghost'").first<{ n: number }>();
    const res = await call('/api/v1/tasks', json({ title: 'Haunted' }, await authHeaders('ghost')));
    expect(res.status).toBe(403);
    expect((await res.json<{ detail: string }>()).detail).toMatch(/not registered/);
    expect((await count())?.n).toBe(0);
    expect((await events())?.n).toBe(0);
  });

  it('PATCH preferences for a missing user answers 403 or 404, never 500', async () => {
    const res = await call('/api/v1/users/ghost/preferences', json({ theme: 'dark' }, await authHeaders('ghost'), 'PATCH'));
    expect([403, 404]).toContain(res.status);
  });
});
