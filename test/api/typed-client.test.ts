import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createFoyerClient, type FoyerClient } from '../../client';
import { app } from '../../worker/app';
import { tokenFor } from '../helpers/auth';
import { seed } from '../helpers/seed';

/** The client's fetch, answered by the worker's own fetch handler with the real bindings (no server). */
const appFetch: typeof fetch = async (input, init) => {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(input, init), env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
};

let alice: FoyerClient;
let admin: FoyerClient;
let anonymous: FoyerClient;

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 0 });
  alice = createFoyerClient('http://foyer.test', { token: await tokenFor('alice'), fetch: appFetch });
  admin = createFoyerClient('http://foyer.test', { token: await tokenFor('ops', 'admin'), fetch: appFetch });
  anonymous = createFoyerClient('http://foyer.test', { fetch: appFetch });
});

describe('the typed client (client/, Hono hc over AppType) against the app in workerd', () => {
  it('creates, changes and deletes a task with typed bodies and answers', async () => {
    const created = await alice.tasks.$post({ json: { title: 'Typed client task', priority: 'high' } });
    expect(created.status).toBe(201);
    if (created.status !== 201) return;
    const { task, event } = await created.json();
    expect(task).toMatchObject({ title: 'Typed client task', priority: 'high', status: 'open' });
    expect(event.type).toBe('task.created');

    const done = await alice.tasks[':id'].$patch({ param: { id: task.id }, json: { status: 'done' } });
    expect(done.status).toBe(200);
    if (done.status === 200) expect((await done.json()).task.completedAt).not.toBeNull();

    const deleted = await alice.tasks[':id'].$delete({ param: { id: task.id } });
    expect(deleted.status).toBe(200);
    const listed = await alice.tasks.$get({ query: { status: 'done' } });
    if (listed.status !== 200) throw new Error(`list answered ${listed.status}`);
    expect((await listed.json()).tasks.map((t) => t.id)).not.toContain(task.id);
  });

  it('reads the intro page, sending the read-your-writes header the route declares', async () => {
    const res = await alice['intro-page'][':userId'].$get({ param: { userId: 'alice' }, header: { 'foyer-version': '1' } });
    expect(res.status).toBe(200);
    if (res.status !== 200) return;
    const page = await res.json();
    expect(page.userId).toBe('alice');
    expect(page.sections.personalization?.sectionOrder.length).toBeGreaterThan(0);
  });

  it('types error answers as problem documents: 400 with field errors, 401, 403', async () => {
    const invalid = await alice.tasks.$post({ json: { title: '' } });
    expect(invalid.status).toBe(400);
    if (invalid.status === 400) {
      const problem = await invalid.json();
      expect(problem.errors?.map((e) => e.path)).toContain('json.title');
    }

    const unauthenticated = await anonymous.tasks.$get({ query: {} });
    expect(unauthenticated.status).toBe(401);
    if (unauthenticated.status === 401) expect((await unauthenticated.json()).instance).toBe(unauthenticated.headers.get('X-Request-Id'));

    const someoneElse = await alice.users[':userId'].preferences.$patch({ param: { userId: 'bob' }, json: { theme: 'dark' } });
    expect(someoneElse.status).toBe(403);
  });

  it('reaches admin and public routes: health and the Prometheus text', async () => {
    const health = await anonymous.health.$get();
    expect([200, 503]).toContain(health.status);
    expect(['ok', 'degraded', 'down']).toContain((await health.json()).status);

    const metrics = await admin.metrics.$get({ query: { format: 'prometheus' } });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('# TYPE foyer_http_requests_total counter');
  });
});
