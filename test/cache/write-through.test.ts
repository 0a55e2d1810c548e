import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { fragmentCache } from '../../worker/cache/fragment-cache';
import { readFragment } from '../../worker/cache/page-source';
import { createDb } from '../../worker/db/client';
import type { IntroPage } from '../../worker/sections';
import { createTask } from '../../worker/services/tasks';
import { authHeaders } from '../helpers/auth';
import { guardD1 } from '../helpers/d1-guard';
import { D1_OUTAGE_MESSAGES, switchableD1 } from '../helpers/d1-outage';
import { call, json, lastD1Trace } from '../helpers/http';
import { seed } from '../helpers/seed';

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 0 });
});

async function page(userId: string) {
  const res = await call(`/api/v1/intro-page/${userId}`, { headers: await authHeaders(userId) });
  return (await res.json()) as IntroPage;
}

/** The bundle this isolate holds for the user now. */
async function held(userId: string) {
  const state = await fragmentCache.purgeState(env);
  if (!state) throw new Error('no purge state');
  return fragmentCache.inMemory(state, userId).personal;
}

const readsPreferences = (sql: string) => /from "users" left join "preferences"/.test(sql);
const readsRecentEvents = (sql: string) => /from "activity_events".*order by "activity_events"\."id" desc limit/i.test(sql);

describe('write-through after a user write', () => {
  it('brings the bundle forward with only the sections a task write changes, equal to reading it whole', async () => {
    await page('bob');
    const before = await held('bob');
    expect(before).toBeDefined();
    const write = await call('/api/v1/tasks', json({ title: 'delta me', priority: 'high' }, await authHeaders('bob')));
    expect(write.status).toBe(201);
    const { event } = await write.json<{ event: { id: number } }>();
    const statements = lastD1Trace?.statements ?? [];
    // One round trip: the write's own batch carries the write-through's reads, with no
    // personalization join, no feed query and no newest-event-id check.
    expect(lastD1Trace?.roundTrips).toBe(1);
    expect(statements.some(readsPreferences)).toBe(false);
    expect(statements.some(readsRecentEvents)).toBe(false);

    const after = await held('bob');
    expect(after?.v).toBe(event.id);
    expect(after).toStrictEqual((await readFragment(env, 'personal', 'bob', after?.at as number)).fragment);
    expect(after?.s.activityFeed?.events[0]?.id).toBe(event.id);
    expect(after?.s.actionableItems?.map((i) => i.title)).toContain('delta me');
  });

  it('rereads personalization and the clock-dependent sections after a preference change (theme, then zone)', async () => {
    await page('bob');
    const headers = await authHeaders('bob');
    const theme = await call('/api/v1/users/bob/preferences', json({ theme: 'dark' }, headers, 'PATCH'));
    expect(theme.status).toBe(200);
    expect(lastD1Trace?.roundTrips).toBe(1);
    expect((await held('bob'))?.s.personalization?.theme).toBe('dark');

    const zone = await call('/api/v1/users/bob/preferences', json({ timeZone: 'Pacific/Kiritimati' }, headers, 'PATCH'));
    expect(zone.status).toBe(200);
    const after = await held('bob');
    expect(after?.s.personalization?.timeZone).toBe('Pacific/Kiritimati');
    expect(after).toStrictEqual((await readFragment(env, 'personal', 'bob', after?.at as number)).fragment);
  });

  it('reads the whole bundle when this isolate does not hold the one just before the write', async () => {
    await page('alice');
    fragmentCache.reset(); // as if the write landed on another isolate
    const write = await call('/api/v1/tasks', json({ title: 'whole read', priority: 'low' }, await authHeaders('alice')));
    expect(write.status).toBe(201);
    const { event } = await write.json<{ event: { id: number } }>();
    expect((lastD1Trace?.statements ?? []).some(readsPreferences)).toBe(true);
    expect((lastD1Trace?.statements ?? []).some(readsRecentEvents)).toBe(true);
    const after = await held('alice');
    expect(after?.v).toBe(event.id);
    expect(after).toStrictEqual((await readFragment(env, 'personal', 'alice', after?.at as number)).fragment);
  });

  it('reads the whole bundle when another write committed after the event it was given', async () => {
    await page('bob');
    const held0 = await held('bob');
    const db = createDb(env.DB);
    const first = await createTask(db, 'bob', { title: 'first', priority: 'low' });
    const second = await createTask(db, 'bob', { title: 'second', priority: 'low' });
    expect(held0?.v).toBe(first.event.id - 1);
    const ctx = createExecutionContext();
    const fragment = await fragmentCache.refreshPersonal({ env, waitUntil: (p) => ctx.waitUntil(p) }, 'bob', first.event.id, first.event);
    await waitOnExecutionContext(ctx);
    // Carrying the bundle forward by the first event would have shown the second task without its event.
    expect(fragment.v).toBe(second.event.id);
    expect(fragment.s.activityFeed?.events.slice(0, 2).map((e) => e.id)).toEqual([second.event.id, first.event.id]);
  });

  it('falls back to reading after the write when the reads that rode in its batch cannot be used', async () => {
    await page('bob');
    const guarded = guardD1(env.DB);
    const db = createDb(guarded.db);
    const now = Date.now();
    const reads = fragmentCache.writeThroughFor(db, 'bob', 'task.created', now);
    expect(reads).toBeDefined();
    const change = await createTask(db, 'bob', { title: 'unusable reads', priority: 'low' }, now, reads?.statements);
    expect(guarded.trace.roundTrips).toBe(1);
    const ctx = createExecutionContext();
    const req = { env: { ...env, DB: guarded.db }, waitUntil: (p: Promise<unknown>) => ctx.waitUntil(p) };
    // Results that do not match the statements (as if the batch had answered something else).
    const fragment = await fragmentCache.refreshAfterWrite(req, 'bob', change.event, reads, []);
    await waitOnExecutionContext(ctx);
    expect(guarded.trace.roundTrips).toBe(2);
    expect(fragment.v).toBe(change.event.id);
    expect(fragment).toStrictEqual((await readFragment(env, 'personal', 'bob', fragment.at)).fragment);
  });

  it('falls back to the whole read when another write committed between the planned reads and their write', async () => {
    await page('bob');
    const db = createDb(env.DB);
    const now = Date.now();
    const reads = fragmentCache.writeThroughFor(db, 'bob', 'task.created', now);
    const other = await createTask(db, 'bob', { title: 'in between', priority: 'low' }, now);
    const change = await createTask(db, 'bob', { title: 'planned', priority: 'low' }, now, reads?.statements);
    expect(change.event.id).toBe(other.event.id + 1);
    const ctx = createExecutionContext();
    const fragment = await fragmentCache.refreshAfterWrite(
      { env, waitUntil: (p) => ctx.waitUntil(p) },
      'bob',
      change.event,
      reads,
      change.readResults,
    );
    await waitOnExecutionContext(ctx);
    // Carrying the held bundle forward by the last event alone would have lost the one before it.
    expect(fragment.s.activityFeed?.events.slice(0, 2).map((e) => e.id)).toEqual([change.event.id, other.event.id]);
    expect(fragment).toStrictEqual((await readFragment(env, 'personal', 'bob', fragment.at)).fragment);
  });

  it('asks for no reads when this isolate holds no bundle of the writer (the write goes alone)', async () => {
    fragmentCache.reset();
    expect(fragmentCache.writeThroughFor(createDb(env.DB), 'alice', 'task.created')).toBeUndefined();
  });

  it('writes nothing when the batch carrying the reads fails, and answers 503 with Retry-After', async () => {
    await page('bob');
    const before = await env.DB.prepare("select count(*) n from tasks where owner_id = 'bob'").first<{ n: number }>();
    const headers = await authHeaders('bob');
    const outage = switchableD1(env.DB);
    outage.failWith = D1_OUTAGE_MESSAGES.locked;
    const broken = guardD1(outage.db);
    const res = await call('/api/v1/tasks', json({ title: 'never', priority: 'low' }, headers), { env: { DB: broken.db } });
    expect(res.status).toBe(503);
    expect(res.headers.get('Retry-After')).toBeTruthy();
    // The failed batch was the write's, with the write-through's reads in it (a select of tasks).
    expect(broken.trace.statements.some((sql) => /^insert into "tasks"/.test(sql))).toBe(true);
    expect(broken.trace.statements.some((sql) => /^select .* from "tasks"/.test(sql))).toBe(true);
    const after = await env.DB.prepare("select count(*) n from tasks where owner_id = 'bob'").first<{ n: number }>();
    expect(after?.n).toBe(before?.n);
  });
});
