import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { authHeaders } from '../helpers/auth';
import { call, json } from '../helpers/http';
import { seed } from '../helpers/seed';

type Body = { personalization: Record<string, unknown>; event: { type: string; payload: { fields: string[]; by: string } } };

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 0 });
});

describe('PATCH /api/v1/users/:userId/preferences', () => {
  it('changes theme, order, hidden sections, locale and zone, and records preferences.updated', async () => {
    const res = await call(
      '/api/v1/users/bob/preferences',
      json(
        {
          theme: 'dark',
          sectionOrder: ['activityFeed', 'userStatistics'],
          hiddenSections: ['systemOverview'],
          locale: 'de-CH',
          timeZone: 'Europe/Zurich',
        },
        await authHeaders('bob'),
        'PATCH',
      ),
    );
    expect(res.status).toBe(200);
    const body = await res.json<Body>();
    expect(body.personalization).toEqual({
      displayName: 'Bob Baker',
      theme: 'dark',
      // The order given first, then every section not named, so none can get lost.
      sectionOrder: ['activityFeed', 'userStatistics', 'systemOverview', 'actionableItems', 'personalization'],
      hiddenSections: ['systemOverview'],
      locale: 'de-CH',
      timeZone: 'Europe/Zurich',
    });
    expect(body.event).toMatchObject({ type: 'preferences.updated', payload: { by: 'bob' } });
    expect(body.event.payload.fields.sort()).toEqual(['hiddenSections', 'locale', 'sectionOrder', 'theme', 'timeZone']);
  });

  it('read-your-writes: the next intro page shows the change', async () => {
    const headers = await authHeaders('alice');
    await call('/api/v1/users/alice/preferences', json({ theme: 'dark', timeZone: 'Asia/Tokyo' }, headers, 'PATCH'));
    const page = await (await call('/api/v1/intro-page/alice', { headers })).json<{
      sections: { personalization: { theme: string; timeZone: string } };
    }>();
    expect(page.sections.personalization).toMatchObject({ theme: 'dark', timeZone: 'Asia/Tokyo' });
  });

  it('keeps unchanged fields when patching one', async () => {
    const headers = await authHeaders('alice');
    const body = await (await call('/api/v1/users/alice/preferences', json({ locale: 'fr-FR' }, headers, 'PATCH'))).json<Body>();
    expect(body.personalization).toMatchObject({ theme: 'dark', timeZone: 'Asia/Tokyo', locale: 'fr-FR' });
  });

  it("refuses another user's preferences (403) but lets an admin change them, recorded as by the admin", async () => {
    expect((await call('/api/v1/users/alice/preferences', json({ theme: 'light' }, await authHeaders('bob'), 'PATCH'))).status).toBe(403);
    const res = await call('/api/v1/users/alice/preferences', json({ theme: 'light' }, await authHeaders('ops', 'admin'), 'PATCH'));
    expect(res.status).toBe(200);
    expect((await res.json<Body>()).event.payload.by).toBe('ops');
  });

  it('404 for an unknown user, and no event row appears', async () => {
    const res = await call('/api/v1/users/ghost/preferences', json({ theme: 'dark' }, await authHeaders('ops', 'admin'), 'PATCH'));
    expect(res.status).toBe(404);
    const n = await env.DB.prepare("select count(*) as n from activity_events where user_id = 'ghost'").first<{ n: number }>();
    expect(n?.n).toBe(0);
  });

  it('400 lists every bad field and changes nothing', async () => {
    const headers = await authHeaders('bob');
    const res = await call(
      '/api/v1/users/bob/preferences',
      json({ theme: 'pink', hiddenSections: ['nope', 'nope'], locale: 'not a locale!', timeZone: 'Mars/Olympus' }, headers, 'PATCH'),
    );
    expect(res.status).toBe(400);
    const paths = (await res.json<{ errors: { path: string }[] }>()).errors.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['json.theme', 'json.locale', 'json.timeZone']));
    expect(paths.some((p) => p.startsWith('json.hiddenSections'))).toBe(true);
    const row = await env.DB.prepare("select theme from preferences where user_id = 'bob'").first<{ theme: string }>();
    expect(row?.theme).toBe('dark');
  });
});
