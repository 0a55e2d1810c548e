import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { IntroPage } from '../../worker/sections';
import { RECENT_EVENTS } from '../../worker/sections/activity-feed';
import { authHeaders, tokenFor } from '../helpers/auth';
import { call, json } from '../helpers/http';
import { seed } from '../helpers/seed';

type Change = { event: { id: number; type: string; payload: Record<string, unknown> } };

let alice: Record<string, string>;
// About twenty writes, each waiting for its after-commit work (the feed hand-off, the send).
vi.setConfig({ testTimeout: 30_000 });

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 0 });
  alice = await authHeaders('alice');
});

async function write(path: string, init: RequestInit): Promise<Change['event']> {
  const res = await call(path, init);
  expect(res.status).toBe(200);
  return (await res.json<Change>()).event;
}

describe('task events keep the task title they were recorded with', () => {
  it('a rename, a snooze, a delete and a completion each carry the title at that moment', async () => {
    const renamed = await write('/api/v1/tasks/alice-task-2', json({ title: 'Submit the expense report' }, alice, 'PATCH'));
    expect(renamed).toMatchObject({ type: 'task.updated', payload: { title: 'Submit the expense report', changes: ['title'] } });
    const snoozed = await write('/api/v1/tasks/alice-task-2', json({ snoozedUntil: '2030-01-01T00:00:00Z' }, alice, 'PATCH'));
    expect(snoozed).toMatchObject({ type: 'task.snoozed', payload: { taskId: 'alice-task-2', title: 'Submit the expense report' } });
    // The delete records its event while the task still exists, so the title is known.
    const deleted = await write('/api/v1/tasks/alice-task-6', { method: 'DELETE', headers: alice });
    expect(deleted).toMatchObject({ type: 'task.deleted', payload: { taskId: 'alice-task-6', title: 'Water the plants' } });
    expect(await env.DB.prepare("select id from tasks where id = 'alice-task-6'").first()).toBeNull();
    // The stored row and its outbox copy say the same as the answer.
    const stored = await env.DB.prepare(
      "select a.payload as event, o.payload as outbox from activity_events a join event_outbox o on o.id = a.user_id || ':' || a.id where a.user_id = 'alice' and a.id = ?",
    )
      .bind(deleted.id)
      .first<{ event: string; outbox: string }>();
    expect(JSON.parse(stored!.event)).toEqual({ taskId: 'alice-task-6', title: 'Water the plants' });
    expect(JSON.parse(stored!.outbox)).toEqual(JSON.parse(stored!.event));
  });

  it('after completing "Renew passport", a freshly read page says Completed "Renew passport" although its creation is out of the feed', async () => {
    // Enough writes that the task's creation (event 1) falls out of the feed's last 20, so
    // nothing but the completion's own payload can name it.
    const { n } = (await env.DB.prepare("select count(*) as n from activity_events where user_id = 'alice'").first<{ n: number }>())!;
    for (let i = n; i <= RECENT_EVENTS; i++) await write('/api/v1/tasks/alice-task-5', json({ priority: 'low' }, alice, 'PATCH'));
    const done = await write('/api/v1/tasks/alice-task-1', json({ status: 'done' }, alice, 'PATCH'));
    expect(done.id).toBeGreaterThan(RECENT_EVENTS + 1);
    expect(done).toMatchObject({ type: 'task.completed', payload: { taskId: 'alice-task-1', title: 'Renew passport' } });

    const page = await (await call('/api/v1/intro-page/alice', { headers: alice })).json<IntroPage>();
    const events = page.sections.activityFeed!.events;
    expect(events.some((e) => e.id === 1)).toBe(false);
    expect(events[0]).toMatchObject({ id: done.id, type: 'task.completed', payload: { title: 'Renew passport' } });

    const res = await call('/', { headers: { Cookie: `foyer_session=${await tokenFor('alice')}` } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<span class="event-text">Completed “Renew passport”</span>');
    expect(html).toContain('<span class="event-text">Snoozed “Submit the expense report”</span>');
    expect(html).toContain('<span class="event-text">Deleted “Water the plants”</span>');
    expect(html).not.toContain('a task</span>');
  });
});
