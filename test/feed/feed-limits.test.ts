import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { FRAME_BURST } from '../../durable-objects/feed-limits';
import { FEED_CLOSE } from '../../worker/schemas/feed-messages';
import { tokenFor } from '../helpers/auth';
import { openFeed } from '../helpers/feed';
import { seed } from '../helpers/seed';

async function closedWithin(client: { closed?: { code: number; reason: string } }, ms: number) {
  const deadline = Date.now() + ms;
  while (!client.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return client.closed;
}

beforeAll(async () => {
  await seed(env.DB, { seedUsers: 0 });
});

describe('finding 7: feed sockets are metered and expire', () => {
  it('a socket that floods frames that wake the object is closed with 1008', async () => {
    const client = await openFeed('alice');
    await client.ready();
    // `sync` wakes the object (and may read D1); the exact ping is answered by the runtime alone.
    for (let i = 0; i < FRAME_BURST * 3; i++) client.ws.send('{"type":"sync"}');
    const closed = await closedWithin(client, 4000);
    expect(closed?.code).toBe(FEED_CLOSE.policy);
    expect(closed?.reason).toMatch(/Too many messages/);
  });

  it('a well-behaved client (pings, and a sync now and then) is never closed', async () => {
    const client = await openFeed('alice');
    await client.ready();
    for (let i = 0; i < FRAME_BURST * 2; i++) client.ws.send('{"type":"ping"}');
    for (let i = 0; i < 3; i++) client.ws.send('{"type":"sync"}');
    await client.until((m) => m.filter((x) => x.type === 'ready').length === 4, 'three answers to sync');
    expect(client.closed).toBeUndefined();
    client.ws.close(1000, 'done');
  });

  it('a silent socket whose token expires is closed by the object (its alarm), with 1008', async () => {
    const client = await openFeed('bob', { headers: { Authorization: `Bearer ${await tokenFor('bob', 'user', 2)}` } });
    await client.ready();
    const closed = await closedWithin(client, 8000);
    expect(closed?.code).toBe(FEED_CLOSE.policy);
    expect(closed?.reason).toMatch(/expired/);
  });
});
