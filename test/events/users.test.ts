import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { ONBOARDING_TASK_TITLE, onboardingTaskId } from '../../worker/events/handlers';
import { forgetHealthReport } from '../../worker/services/health-cache';
import { authHeaders } from '../helpers/auth';
import { switchableD1 } from '../helpers/d1-outage';
import { applied, count, waitFor } from '../helpers/events';
import { openFeed } from '../helpers/feed';
import { call, json } from '../helpers/http';
import { seed } from '../helpers/seed';

vi.setConfig({ testTimeout: 30_000 });

let admin: Record<string, string>;
const uniqueId = (prefix: string) => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
const userCount = () => count('select count(*) n from users');

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 0 });
  admin = await authHeaders('ops', 'admin');
});

describe('POST /api/v1/users', () => {
  it('registers a user; the onboarding task reaches their intro page and their feed socket within seconds, with no purge', async () => {
    const id = uniqueId('new');
    const res = await call(
      '/api/v1/users',
      json({ id, displayName: '  Carol New ', email: `${id}@example.test`, timeZone: 'Europe/Berlin', locale: 'de-CH' }, admin),
    );
    expect(res.status).toBe(201);
    expect(res.headers.get('Location')).toBe(`/api/v1/intro-page/${id}`);
    const body = await res.json<{ user: Record<string, unknown>; event: { id: number; type: string } }>();
    expect(body.user).toMatchObject({
      id,
      displayName: 'Carol New',
      email: `${id}@example.test`,
      role: 'user',
      timeZone: 'Europe/Berlin',
      locale: 'de-CH',
    });
    expect(body.event).toMatchObject({ id: 1, type: 'user.registered' });

    // The new user opens their feed from the start; the onboarding task arrives on it.
    const feed = await openFeed(id, { after: 0 });
    await feed.until(
      (messages) =>
        messages.some((m) => m.type === 'event' && m.event.type === 'task.created' && m.event.payload.title === ONBOARDING_TASK_TITLE),
      'the onboarding task on the socket',
      15_000,
    );
    expect(feed.eventIds()).toEqual([1, 2]);
    feed.ws.close();

    const headers = await authHeaders(id);
    const page = await waitFor(async () => {
      const pageRes = await call(`/api/v1/intro-page/${id}`, { headers });
      const p = await pageRes.json<{
        sections: { actionableItems: { taskId: string; reason: string }[]; personalization: { locale: string; timeZone: string } };
      }>();
      return p.sections.actionableItems.some((item) => item.taskId === onboardingTaskId(id)) ? p : null;
    }, 'the onboarding task on the intro page');
    expect(page.sections.actionableItems).toContainEqual(
      expect.objectContaining({ taskId: onboardingTaskId(id), reason: 'high_priority' }),
    );
    expect(page.sections.personalization).toMatchObject({ displayName: 'Carol New', locale: 'de-CH', timeZone: 'Europe/Berlin' });
    expect(await count("select count(*) n from audit_log where action = 'user.registered' and detail like ?", `%"${id}:1"%`)).toBe(1);
  });

  it('answers 409 when the id (or the email) exists, and writes nothing', async () => {
    const before = await userCount();
    const events = await count("select count(*) n from activity_events where user_id = 'alice'");
    const taken = await call('/api/v1/users', json({ id: 'alice', displayName: 'Second Alice' }, admin));
    expect(taken.status).toBe(409);
    expect((await taken.json<{ detail: string }>()).detail).toMatch(/already exists/);
    const email = await env.DB.prepare("select email from users where id = 'bob'").first<{ email: string }>();
    const sameEmail = await call('/api/v1/users', json({ id: uniqueId('dup-mail'), displayName: 'Bob Again', email: email!.email }, admin));
    expect(sameEmail.status).toBe(409);
    expect(await userCount()).toBe(before);
    expect(await count("select count(*) n from activity_events where user_id = 'alice'")).toBe(events);
  });

  it.each([
    ['no display name', { id: 'valid-id' }],
    ['a blank display name', { id: 'valid-id', displayName: '   ' }],
    ['an id with capitals and spaces', { id: 'Not Valid', displayName: 'X' }],
    ['a bad email', { id: 'valid-id', displayName: 'X', email: 'nope' }],
    ['an unknown time zone', { id: 'valid-id', displayName: 'X', timeZone: 'Mars/Olympus' }],
    ['a bad locale', { id: 'valid-id', displayName: 'X', locale: '!!' }],
    ['an unknown field', { id: 'valid-id', displayName: 'X', role: 'admin' }],
  ])('answers 400 problem+json for %s, listing the field, and writes nothing', async (_what, input) => {
    const before = await userCount();
    const res = await call('/api/v1/users', json(input, admin));
    expect(res.status).toBe(400);
    expect((await res.json<{ errors: unknown[] }>()).errors.length).toBeGreaterThan(0);
    expect(await userCount()).toBe(before);
  });

  it('is for operators: 401 without a token, 403 for a user, 415 without JSON', async () => {
    expect((await call('/api/v1/users', json({ id: uniqueId('x'), displayName: 'X' }))).status).toBe(401);
    expect((await call('/api/v1/users', json({ id: uniqueId('x'), displayName: 'X' }, await authHeaders('alice')))).status).toBe(403);
    const res = await call('/api/v1/users', { method: 'POST', headers: admin, body: 'id=x' });
    expect(res.status).toBe(415);
  });

  it('does not put the admin check on the preferences mounted beside it', async () => {
    const res = await call('/api/v1/users/alice/preferences', json({ theme: 'dark' }, await authHeaders('alice'), 'PATCH'));
    expect(res.status).toBe(200);
  });

  it('answers 503 with Retry-After when D1 is down, and nothing is written', async () => {
    const d1 = switchableD1(env.DB);
    d1.failWith = 'D1_ERROR: Network connection lost.';
    const id = uniqueId('down');
    const res = await call('/api/v1/users', json({ id, displayName: 'X' }, admin), { env: { DB: d1.db } });
    expect(res.status).toBe(503);
    expect(res.headers.get('Retry-After')).toBeTruthy();
    expect(await count('select count(*) n from users where id = ?', id)).toBe(0);
  });
});

describe('the admin event routes', () => {
  it('GET /api/v1/admin/events gives the pipeline figures, by type', async () => {
    const id = uniqueId('figures');
    expect((await call('/api/v1/users', json({ id, displayName: 'F' }, admin))).status).toBe(201);
    await applied(`${id}:2`);
    const res = await call('/api/v1/admin/events', { headers: admin });
    expect(res.status).toBe(200);
    const figures = await res.json<{
      published: number;
      delivered: number;
      lagMs: { p50: number | null; p95: number | null };
      outbox: { backlog: number };
      byType: Record<string, { published: number; delivered: number }>;
    }>();
    expect(figures.published).toBeGreaterThanOrEqual(2);
    expect(figures.delivered).toBeGreaterThanOrEqual(2);
    expect(figures.byType['user.registered']?.delivered).toBeGreaterThanOrEqual(1);
    expect(figures.lagMs.p50).toBeGreaterThanOrEqual(0);
    expect(figures.lagMs.p95).toBeGreaterThanOrEqual(figures.lagMs.p50!);
  });

  it.each([
    ['GET', '/api/v1/admin/events'],
    ['GET', '/api/v1/admin/dead-letters'],
    ['POST', '/api/v1/admin/dead-letters/replay'],
  ])('%s %s: 401 without a token, 403 for a user, 503 when D1 is down', async (method, path) => {
    const body = method === 'POST' ? JSON.stringify({}) : undefined;
    const init = (headers: Record<string, string>) => ({ method, headers: { 'Content-Type': 'application/json', ...headers }, body });
    expect((await call(path, init({}))).status).toBe(401);
    expect((await call(path, init(await authHeaders('alice')))).status).toBe(403);
    const d1 = switchableD1(env.DB);
    d1.failWith = 'D1_ERROR: Network connection lost.';
    expect((await call(path, init(admin), { env: { DB: d1.db } })).status).toBe(503);
  });

  it.each([
    ['ids that are not a list', { ids: 'alice:1' }],
    ['an empty list', { ids: [] }],
    ['an unknown field', { all: true }],
  ])('POST /api/v1/admin/dead-letters/replay answers 400 for %s and replays nothing', async (_what, input) => {
    const audits = await count("select count(*) n from audit_log where action = 'events.dead-letters.replay'");
    const res = await call('/api/v1/admin/dead-letters/replay', json(input, admin));
    expect(res.status).toBe(400);
    expect(await count("select count(*) n from audit_log where action = 'events.dead-letters.replay'")).toBe(audits);
  });

  it('POST /api/v1/admin/dead-letters/replay answers 415 without JSON, and skips ids it does not know', async () => {
    expect((await call('/api/v1/admin/dead-letters/replay', { method: 'POST', headers: admin, body: 'ids=1' })).status).toBe(415);
    const res = await call('/api/v1/admin/dead-letters/replay', json({ ids: ['nobody:1'] }, admin));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ replayed: [], skipped: ['nobody:1'], recorded: true });
  });
});

describe('the queue health check and metrics', () => {
  it('reports the queue check, degraded when the outbox backlog is over its threshold', async () => {
    forgetHealthReport();
    const ok = await (await call('/api/v1/health', { headers: admin })).json<{ checks: { queue: { status: string } } }>();
    expect(ok.checks.queue.status).toBe('ok');

    const old = Date.now() - 120_000;
    const inserts = Array.from({ length: 101 }, (_, i) =>
      env.DB.prepare(
        "insert into event_outbox (id, user_id, seq, type, version, payload, occurred_at) values (?, 'backlog-user', ?, 'task.deleted', 1, '{}', ?)",
      ).bind(`backlog-user:${i + 1}`, i + 1, old),
    );
    await env.DB.batch(inserts);
    try {
      forgetHealthReport();
      const res = await call('/api/v1/health', { headers: admin });
      const report = await res.json<{ status: string; checks: { queue: { status: string; error?: string } } }>();
      expect(res.status).toBe(200);
      expect(report.status).toBe('degraded');
      expect(report.checks.queue).toMatchObject({ status: 'slow', error: expect.stringMatching(/101 events wait in the outbox/) });
      const metrics = await call('/api/v1/metrics?format=prometheus', { headers: admin });
      const text = await metrics.text();
      expect(text).toMatch(/^foyer_events_outbox_backlog 101$/m);
      // The oldest unsent row is 120 s old (FoyerOutboxStale reads it): give or take the test's own seconds.
      const age = Number(/^foyer_events_outbox_oldest_unsent_seconds (\S+)$/m.exec(text)?.[1]);
      expect(age).toBeGreaterThanOrEqual(120);
      expect(age).toBeLessThan(180);
      expect(text).toMatch(/^foyer_events\{type="task.deleted",stage="published"\} \d+$/m);
      const summary = await (await call('/api/v1/metrics', { headers: admin })).json<{ events: { outbox: { backlog: number } } }>();
      expect(summary.events.outbox.backlog).toBe(101);
    } finally {
      await env.DB.prepare("delete from event_outbox where user_id = 'backlog-user'").run();
      forgetHealthReport();
    }
  });

  it('shows the event figures on the admin dashboard', async () => {
    const res = await call('/admin', { headers: { ...admin, Accept: 'text/html' } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Domain events (24 h)');
    expect(html).toContain('data-m="events.lagMs.p95|ms"');
  });
});
