import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { COUNTER_REPORTS_PER_SECOND } from '../../durable-objects/cache-coordinator';
import { INGESTS_PER_SECOND } from '../../durable-objects/metrics-store';
import { emptyCounters } from '../../worker/cache/counters';
import { LookupCounts } from '../../worker/cache/lookup-counts';
import { coordinatorOf } from '../../worker/cache/protocol';
import { PurgeSync } from '../../worker/cache/purge-sync';
import { FanInPacer } from '../../worker/fan-in';
import { metricsStore } from '../../worker/observability/flush';
import { guardKv } from '../helpers/kv-guard';

/**
 * N isolates, each calling one object again as soon as the object's last answer allows, on a
 * simulated clock (minutes of traffic in milliseconds): the calls the object receives per
 * second over the last minute.
 */
function callsPerSecond(isolates: number, budgetPerSecond: number, minIntervalMs: number): number {
  const pacer = new FanInPacer({ budgetPerSecond, minIntervalMs });
  const tickMs = 10;
  const endMs = 180_000;
  const measuredFrom = endMs - 60_000;
  // A calendar of ticks: each isolate waits in the bucket of its next call. Isolates start
  // over the first second, as real ones come and go, each calling at once.
  const calendar = new Map<number, number[]>();
  const schedule = (isolate: number, atMs: number) => {
    const tick = Math.ceil(atMs / tickMs);
    const bucket = calendar.get(tick) ?? [];
    bucket.push(isolate);
    calendar.set(tick, bucket);
  };
  for (let i = 0; i < isolates; i++) schedule(i, (i * 1000) / isolates);
  let calls = 0;
  for (let tick = 0; tick * tickMs < endMs; tick++) {
    const now = tick * tickMs;
    for (const isolate of calendar.get(tick) ?? []) {
      if (now >= measuredFrom) calls++;
      schedule(isolate, now + Math.max(tickMs, pacer.admit(`isolate-${isolate}`, now)));
    }
    calendar.delete(tick);
  }
  return calls / 60;
}

describe('no single object takes more calls as the isolates grow (fan-in)', () => {
  it.each([
    ['cache counter reports', COUNTER_REPORTS_PER_SECOND, 1000],
    ['metric batches, per shard', INGESTS_PER_SECOND, 0],
  ])('%s: calls per object per second stay flat from 100 to 10,000 isolates', (_name, budget, minIntervalMs) => {
    const rates = [100, 1000, 10_000].map((n) => callsPerSecond(n, budget, minIntervalMs));
    console.log(JSON.stringify({ fanIn: { budget, isolates: [100, 1000, 10_000], callsPerSecond: rates.map(Math.round) } }));
    for (const rate of rates) {
      expect(rate).toBeLessThanOrEqual(budget * 1.05);
      expect(rate).toBeGreaterThanOrEqual(budget * 0.5);
    }
    // Flat: a hundred times the isolates, about the same calls.
    expect(Math.max(...rates) / Math.min(...rates)).toBeLessThan(1.25);
  });

  it('a few isolates are not held back: below the budget each reports at its own interval', () => {
    expect(callsPerSecond(10, COUNTER_REPORTS_PER_SECOND, 1000)).toBeCloseTo(10, 0);
  });

  it('the real objects set the pace: the more isolates they hear from, the longer each waits', async () => {
    const coordinator = coordinatorOf(env);
    const store = metricsStore(env);
    const batch = () => ({ at: Date.now(), points: [] });
    const first = await coordinator.report('fan-in-0', emptyCounters());
    const firstIngest = await store.ingest(batch(), 'fan-in-0');
    const callers = 2 * COUNTER_REPORTS_PER_SECOND;
    let last = first;
    let lastIngest = firstIngest;
    for (let i = 1; i < callers; i++) {
      last = await coordinator.report(`fan-in-${i}`, emptyCounters());
      lastIngest = await store.ingest(batch(), `fan-in-${i}`);
    }
    expect(first.nextReportInMs).toBe(1000);
    // `callers` isolates within the budget: each one's turn comes every callers / budget seconds.
    expect(last.nextReportInMs).toBeGreaterThanOrEqual((callers * 1000) / COUNTER_REPORTS_PER_SECOND);
    expect(lastIngest.nextFlushInMs).toBeGreaterThanOrEqual((callers * 1000) / INGESTS_PER_SECOND);
    expect((await coordinator.stats()).reporters).toBeGreaterThanOrEqual(callers);
  }, 30_000);

  it('isolates learn purges from KV: once published, the coordinator takes no call for the purge state, however many isolates', async () => {
    let coordinatorCalls = 0;
    const real = env.CACHE_COORDINATOR;
    const counted = {
      idFromName: (name: string) => real.idFromName(name),
      get: (id: DurableObjectId) =>
        new Proxy(real.get(id), {
          get(target, prop) {
            const value = Reflect.get(target, prop);
            if (typeof value !== 'function') return value;
            return (...args: unknown[]) => {
              coordinatorCalls++;
              return (value as (...a: unknown[]) => unknown).apply(target, args);
            };
          },
        }),
    } as unknown as Env['CACHE_COORDINATOR'];
    // Published once (by a purge, or by the coordinator for the first isolate that finds no key).
    await coordinatorOf(env).publishedState();
    const kv = guardKv(env.CACHE);
    const isolatesEnv = { ...env, CACHE: kv.kv, CACHE_COORDINATOR: counted };
    for (const isolates of [5, 50]) {
      coordinatorCalls = 0;
      kv.trace.reads = 0;
      // Serving, with nothing to report: every isolate's requests need the purge state.
      const syncs = Array.from({ length: isolates }, () => new PurgeSync(1000, new LookupCounts()));
      const background: Promise<unknown>[] = [];
      const started = Date.now();
      while (Date.now() - started < 1600) {
        for (const sync of syncs) {
          const state = sync.current(Date.now(), { env: isolatesEnv, waitUntil: (p) => background.push(p) });
          if (!state) await sync.state(isolatesEnv, Date.now(), (p) => background.push(p));
        }
        await scheduler.wait(50);
      }
      await Promise.all(background);
      expect(coordinatorCalls).toBe(0);
      // Each isolate reads one key about every half second (refresh ahead), never per request.
      expect(kv.trace.reads / isolates).toBeLessThanOrEqual(5);
    }
  }, 30_000);
});
