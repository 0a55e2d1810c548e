import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { emptyCounters } from '../../worker/cache/counters';
import { LookupCounts } from '../../worker/cache/lookup-counts';
import { coordinatorOf, PURGE_STATE_KEY } from '../../worker/cache/protocol';
import { PurgeSync } from '../../worker/cache/purge-sync';

describe('the purge state on a busy isolate', () => {
  it('is refreshed in the background before it expires, so no warm request ever waits for it', async () => {
    const sync = new PurgeSync(400, new LookupCounts());
    expect(await sync.state(env)).toBeDefined();
    const background: Promise<unknown>[] = [];
    const waitUntil = (p: Promise<unknown>) => void background.push(p);
    let served = 0;
    let missed = 0;
    const started = Date.now();
    // Steady traffic for five lifetimes of the copy: every request takes the synchronous path.
    while (Date.now() - started < 2000) {
      if (sync.current(Date.now(), { env, waitUntil })) served++;
      else missed++;
      await scheduler.wait(20);
    }
    await Promise.all(background);
    expect(missed).toBe(0);
    expect(served).toBeGreaterThan(20);
    // About one read per half lifetime, never one per request.
    expect(background.length).toBeGreaterThanOrEqual(4);
    expect(background.length).toBeLessThan(served / 2);
  });

  it('takes a purge published to KV within the copy’s lifetime', async () => {
    const sync = new PurgeSync(300, new LookupCounts());
    const before = await sync.state(env);
    const published = { seq: (before?.seq ?? 0) + 1000, all: (before?.seq ?? 0) + 1000, sections: {}, users: {} };
    await env.CACHE.put(PURGE_STATE_KEY, JSON.stringify(published));
    try {
      await scheduler.wait(320);
      expect((await sync.state(env))?.seq).toBe(published.seq);
    } finally {
      if (before) await env.CACHE.put(PURGE_STATE_KEY, JSON.stringify(before));
    }
  });

  it('asks the coordinator once when KV has no purge state yet (a new release over purges made before it)', async () => {
    const purged = await coordinatorOf(env).purge({ scope: 'all' });
    await env.CACHE.delete(PURGE_STATE_KEY);
    const sync = new PurgeSync(1000, new LookupCounts());
    expect((await sync.state(env))?.all).toBe(purged.seq);
    // The coordinator wrote it back, so the next isolate finds it in KV.
    expect((await env.CACHE.get<{ seq: number }>(PURGE_STATE_KEY, 'json'))?.seq).toBeGreaterThanOrEqual(purged.seq);
  });

  it("still answers the previous release's sync RPC during a gradual rollout (expand/contract)", async () => {
    const coordinator = coordinatorOf(env);
    const purged = await coordinator.purge({ scope: 'user', userId: 'rollout-user' });
    const counters = emptyCounters();
    counters.isolate.hit = 3;
    const before = (await coordinator.stats()).counters.isolate.hit;
    const answer = await coordinator.sync(0, counters);
    expect(answer.full).toBe(true);
    expect(answer.state.users['rollout-user']?.seq).toBe(purged.seq);
    expect((await coordinator.stats()).counters.isolate.hit).toBe(before + 3);
  });
});
