import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { fragmentCache } from '../../worker/cache/fragment-cache';
import { readFragment } from '../../worker/cache/page-source';
import { createDb } from '../../worker/db/client';
import type { IntroPage } from '../../worker/sections';
import { createTask } from '../../worker/services/tasks';
import { authHeaders } from '../helpers/auth';
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
    // The write's own batch, then the write-through: no personalization join, no feed query.
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
});
