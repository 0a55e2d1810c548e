import { evictDurableObject, runDurableObjectAlarm } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { flushMetrics, metricsStore } from '../../worker/observability/flush';
import { increment, observe } from '../../worker/observability/metrics';
import { failing } from '../helpers/broken-env';

const total = async (layer: string) =>
  (await metricsStore(env).snapshot(1)).totals.find((p) => p.name === 'foyer_cache_lookups_total' && p.labels.layer === layer)?.value ?? 0;

describe('flushing metric batches', () => {
  it('writes the same points to Analytics Engine when the binding exists, in the documented layout', async () => {
    const points: AnalyticsEngineDataPoint[] = [];
    const dataset = { writeDataPoint: (p?: AnalyticsEngineDataPoint) => p && points.push(p) } as AnalyticsEngineDataset;
    await flushMetrics(env); // start from an empty buffer
    increment('foyer_cache_lookups_total', { layer: 'ae-test', result: 'hit' }, 2);
    observe('foyer_http_request_duration_seconds', { method: 'GET', route: '/ae-test' }, 0.15);
    await flushMetrics({ ...env, ANALYTICS: dataset });
    const counter = points.find((p) => p.blobs?.[1] === 'ae-test');
    expect(counter).toEqual({
      indexes: ['foyer_cache_lookups_total'],
      blobs: ['foyer_cache_lookups_total', 'ae-test', 'hit'],
      doubles: [2, 0],
    });
    const histogram = points.find((p) => p.blobs?.[2] === '/ae-test');
    expect(histogram?.doubles?.slice(0, 2)).toEqual([1, 0.15]);
    // 12 bounds + Inf: the 0.15 s observation sits in the (0.1, 0.2] bucket, the sixth.
    expect(histogram?.doubles?.slice(2)).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    expect(await total('ae-test')).toBe(2);
  });

  it('keeps the points of a failed flush for the next one', async () => {
    await flushMetrics(env);
    increment('foyer_cache_lookups_total', { layer: 'retry-test', result: 'miss' }, 3);
    await flushMetrics({ ...env, METRICS: failing.objects<Env['METRICS']>() });
    expect(await total('retry-test')).toBe(0);
    increment('foyer_cache_lookups_total', { layer: 'retry-test', result: 'miss' }, 1);
    await flushMetrics(env);
    expect(await total('retry-test')).toBe(4);
  });
});

describe('MetricsStore', () => {
  it('keeps its aggregate across an eviction once the persist alarm has run', async () => {
    const stub = env.METRICS.get(env.METRICS.idFromName('persist-test'));
    const point = { name: 'foyer_rate_limit_rejections_total', labels: { policy: 'read' }, value: 5 };
    await stub.ingest({ at: Date.now(), points: [point] });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await evictDurableObject(stub);
    const after = await stub.snapshot(5);
    expect(after.totals).toEqual([point]);
    expect(after.minutes.at(-1)?.points).toEqual([point]);
    await stub.ingest({ at: Date.now(), points: [point] });
    expect((await stub.snapshot(1)).totals[0]?.value).toBe(10);
  });
});
