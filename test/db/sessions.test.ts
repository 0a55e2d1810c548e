import { env } from 'cloudflare:workers';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FragmentCache, fragmentCache } from '../../worker/cache/fragment-cache';
import { forgetVersionCeilings } from '../../worker/cache/version-ceiling';
import type { IntroPage } from '../../worker/sections';
import { assembleIntroPage } from '../../worker/services/intro-page';
import { authHeaders } from '../helpers/auth';
import { call, json } from '../helpers/http';
import { seed } from '../helpers/seed';

/**
 * The D1 binding as it is, recording the constraint or bookmark every session starts from
 * (worker/db/sessions.ts): local D1 serves every session from its one database and hands out
 * real bookmarks, so where a read would go on a replicated database shows in these arguments.
 */
function recordingD1(options: { slowMs?: number } = {}): { db: D1Database; starts: (string | undefined)[] } {
  const starts: (string | undefined)[] = [];
  const slow = (session: D1DatabaseSession): D1DatabaseSession =>
    new Proxy(session, {
      get(target, prop) {
        if (prop === 'batch' && options.slowMs) {
          return async (statements: D1PreparedStatement[]) => {
            await scheduler.wait(options.slowMs ?? 0);
            return target.batch(statements);
          };
        }
        const value = Reflect.get(target, prop);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  const db = new Proxy(env.DB, {
    get(target, prop) {
      if (prop === 'withSession') {
        return (constraint?: string) => {
          starts.push(constraint);
          return slow(target.withSession(constraint));
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { db, starts };
}

const BOOKMARK = /^[0-9A-Za-z-]+$/;

async function writeTask(userId: string, d1?: D1Database) {
  const res = await call('/api/v1/tasks', json({ title: 'Sessions' }, await authHeaders(userId)), d1 ? { env: { DB: d1 } } : {});
  expect(res.status).toBe(201);
  const { event } = await res.json<{ event: { id: number } }>();
  return { res, version: event.id, bookmark: res.headers.get('Foyer-Bookmark') ?? '' };
}

async function readPage(userId: string, headers: Record<string, string>, d1: D1Database) {
  const res = await call(`/api/v1/intro-page/${userId}`, { headers: { ...(await authHeaders(userId)), ...headers } }, { env: { DB: d1 } });
  expect(res.status).toBe(200);
  return res.json<IntroPage>();
}

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 20 });
});

beforeEach(() => {
  fragmentCache.reset(); // each read below lands in a fresh isolate and must go to D1
  forgetVersionCeilings();
});

describe('D1 sessions: writes at the primary, reads at the nearest replica or at the caller’s bookmark', () => {
  it('writes through a first-primary session and hands its bookmark back beside the unchanged version token', async () => {
    const d1 = recordingD1();
    const { res, version, bookmark } = await writeTask('user-00013', d1.db);
    expect(d1.starts[0]).toBe('first-primary');
    expect(bookmark).toMatch(BOOKMARK);
    expect(res.headers.get('Foyer-Version')).toBe(String(version));
    const cookies = res.headers.getSetCookie();
    expect(cookies).toContainEqual(expect.stringMatching(new RegExp(`^foyer_v=user-00013\\.${version};.*HttpOnly`)));
    expect(cookies).toContainEqual(expect.stringMatching(new RegExp(`^foyer_b=user-00013\\.${bookmark};.*HttpOnly`)));
    // The write-through of the writer's fresh bundle (after the response) reads at that bookmark too.
    expect(d1.starts.slice(1)).toContain(bookmark);
  });

  it('hands back a bookmark D1 itself accepts, and a session opened at it sees the write', async () => {
    const { version, bookmark } = await writeTask('user-00014');
    const session = env.DB.withSession(bookmark);
    const row = await session
      .prepare('SELECT max(id) AS id FROM activity_events WHERE user_id = ?')
      .bind('user-00014')
      .first<{ id: number }>();
    expect(row?.id).toBe(version);
    expect(session.getBookmark()).toMatch(BOOKMARK);
  });

  it("reads the writer's own data at the bookmark from the foyer_b cookie the browser carries", async () => {
    const { res, bookmark } = await writeTask('user-00015');
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const d1 = recordingD1();
    const list = await call('/api/v1/tasks', { headers: { ...(await authHeaders('user-00015')), Cookie: cookie } }, { env: { DB: d1.db } });
    expect(list.status).toBe(200);
    expect(d1.starts).toEqual([bookmark]);
  });

  it('opens the personal read at the bookmark the caller sends, the shared one at the nearest replica', async () => {
    const { bookmark } = await writeTask('user-00016');
    const d1 = recordingD1();
    await readPage('user-00017', { 'Foyer-Bookmark': bookmark }, d1.db);
    // The shared fragment may come from KV (an earlier test stored it); when it is read, it is unconstrained.
    expect(d1.starts[0] === bookmark || d1.starts[1] === bookmark).toBe(true);
    expect(d1.starts.filter((s) => s !== bookmark).every((s) => s === 'first-unconstrained')).toBe(true);
  });

  it('reads at the nearest replica without a token, and at the primary with a version but no bookmark', async () => {
    const plain = recordingD1();
    await readPage('user-00018', {}, plain.db);
    expect(plain.starts.length).toBeGreaterThan(0);
    expect(plain.starts.every((s) => s === 'first-unconstrained')).toBe(true);

    fragmentCache.reset();
    const { version } = await writeTask('user-00019');
    fragmentCache.reset();
    const versionOnly = recordingD1();
    // A client that keeps only Foyer-Version, one ahead so no cached copy can serve it.
    await readPage('user-00019', { 'Foyer-Version': String(version + 1) }, versionOnly.db);
    expect(versionOnly.starts[0]).toBe('first-primary');
  });

  it("ignores another user's bookmark cookie and a bookmark that is not one", async () => {
    const { bookmark } = await writeTask('user-00020');
    const d1 = recordingD1();
    await readPage('user-00012', { Cookie: `foyer_b=user-00020.${bookmark}`, 'Foyer-Bookmark': 'x;DROP TABLE' }, d1.db);
    expect(d1.starts.length).toBeGreaterThan(0);
    expect(d1.starts.every((s) => s === 'first-unconstrained')).toBe(true);
  });

  it('does not let a read at a bookmark join a read from the nearest replica that is under way', async () => {
    const { version, bookmark } = await writeTask('user-00010');
    // Both reads must go to D1: drop the copies the write-through stored in KV.
    for (const key of (await env.CACHE.list()).keys) if (key.name.includes(':user:user-00010:')) await env.CACHE.delete(key.name);
    const d1 = recordingD1({ slowMs: 200 });
    const cache = new FragmentCache(); // an isolate that never saw the write
    const input = { env: { ...env, DB: d1.db }, waitUntil: () => undefined, userId: 'user-00010' };
    const unpositioned = assembleIntroPage(input, cache);
    await scheduler.wait(50); // its D1 read is under way (the session answers after 200 ms)
    // It arrived before that read began (its `now` is earlier), so today's rule would accept the
    // joined read's answer as "D1 as it is now"; on a lagging replica that answer lacks the write.
    const positioned = await assembleIntroPage({ ...input, minVersion: version, bookmark, now: Date.now() - 1000 }, cache);
    await unpositioned;
    expect(d1.starts).toContain('first-unconstrained');
    expect(d1.starts).toContain(bookmark);
    expect(positioned.page.sections.activityFeed?.events[0]?.id).toBe(version);
  });

  it("lists the caller's tasks at their bookmark, else at the nearest replica", async () => {
    const { bookmark } = await writeTask('user-00011');
    const headers = await authHeaders('user-00011');
    const withBookmark = recordingD1();
    const list = await call('/api/v1/tasks', { headers: { ...headers, 'Foyer-Bookmark': bookmark } }, { env: { DB: withBookmark.db } });
    expect(list.status).toBe(200);
    expect((await list.json<{ tasks: { title: string }[] }>()).tasks.map((t) => t.title)).toContain('Sessions');
    expect(withBookmark.starts).toEqual([bookmark]);
    const plain = recordingD1();
    expect((await call('/api/v1/tasks', { headers }, { env: { DB: plain.db } })).status).toBe(200);
    expect(plain.starts).toEqual(['first-unconstrained']);
    const versionOnly = recordingD1();
    expect((await call('/api/v1/tasks', { headers: { ...headers, 'Foyer-Version': '1' } }, { env: { DB: versionOnly.db } })).status).toBe(
      200,
    );
    expect(versionOnly.starts).toEqual(['first-primary']);
  });
});
