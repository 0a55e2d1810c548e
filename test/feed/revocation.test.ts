import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../../worker/auth/revocation';
import { feedConnectRequest } from '../../worker/feed/protocol';
import { tokenFor } from '../helpers/auth';
import { createTask, feedStub, openFeed, upgrade, wrap } from '../helpers/feed';
import { call } from '../helpers/http';
import { seed } from '../helpers/seed';

const ORIGIN = 'http://foyer.test';

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 0 });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('GET /api/v1/feed: sessions that end', () => {
  it('POST /logout closes the sockets opened with that cookie before it answers; another session stays open', async () => {
    const cookie = `foyer_session=${await tokenFor('alice')}`;
    const page = await upgrade('/api/v1/feed', { Cookie: cookie, Origin: ORIGIN });
    expect(page.status).toBe(101);
    const signedOut = wrap(page.webSocket!);
    // Another device of the same user: a token of its own (another lifetime makes it another token).
    const otherToken = { Authorization: `Bearer ${await tokenFor('alice', 'user', 1800)}` };
    const other = await openFeed('alice', { headers: otherToken });
    await signedOut.ready();
    await other.ready();

    const out = await call('/logout', {
      method: 'POST',
      redirect: 'manual',
      headers: { Cookie: cookie, Origin: ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(out.status).toBe(303);
    // The close frame left before the answer; this side sees it after a turn of the event loop.
    await signedOut.until(() => signedOut.closed !== undefined, 'the close of the signed-out socket', 500);
    expect(signedOut.closed).toEqual({ code: 1008, reason: expect.stringMatching(/signed out/) });

    // With the other session's token: alice's default token, made in the same second, is the signed-out one.
    const id = await createTask('alice', 'after the logout of another session', otherToken);
    await other.until((m) => m.some((x) => x.type === 'event' && x.event.id === id), 'the event on the other session');
    await sleep(20);
    expect(other.closed).toBeUndefined();
    expect(signedOut.eventIds()).not.toContain(id);

    // The signed-out cookie cannot open a new one either.
    expect((await upgrade('/api/v1/feed', { Cookie: cookie, Origin: ORIGIN })).status).toBe(401);
    other.ws.close(1000, 'done');
  });

  it('a connect verified before the logout that reaches the feed after it is closed at once', async () => {
    const digest = await digestOf(await tokenFor('bob'));
    const expiresAt = Date.now() + 3_600_000;
    expect(await feedStub('bob').revoke(digest, expiresAt)).toBe(0);
    const res = await feedStub('bob').fetch(feedConnectRequest({ userId: 'bob', expiresAt, tokenDigest: digest }));
    expect(res.status).toBe(101);
    const late = wrap(res.webSocket!);
    await late.until(() => late.closed !== undefined, 'the close of the late socket', 500);
    expect(late.closed).toEqual({ code: 1008, reason: expect.stringMatching(/signed out/) });
    expect(late.messages).toEqual([]);
  });
});
