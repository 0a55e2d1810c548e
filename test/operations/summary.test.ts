import { describe, expect, it } from 'vitest';
import { quantile } from '../../worker/observability/series';
import { cacheHitRate } from '../../worker/observability/summary';

const lookup = (layer: string, result: string, value: number) => ({ name: 'foyer_cache_lookups_total', labels: { layer, result }, value });

describe('cacheHitRate', () => {
  it('treats layers as a chain: only what the last layer misses went to the origin', () => {
    // 10 lookups: the isolate answers 6, KV answers 3 of the 4 it is asked, D1 computes 1.
    const points = [
      lookup('isolate', 'hit', 5),
      lookup('isolate', 'stale', 1),
      lookup('isolate', 'miss', 4),
      lookup('kv', 'hit', 3),
      lookup('kv', 'miss', 1),
    ];
    expect(cacheHitRate(points)).toBe(0.9);
    expect(cacheHitRate([lookup('kv', 'hit', 3), lookup('kv', 'miss', 1)])).toBe(0.75);
    expect(cacheHitRate([])).toBeNull();
  });
});

describe('quantile', () => {
  it('interpolates inside the bucket like histogram_quantile, and caps +Inf at the top bound', () => {
    const bounds = [0.1, 0.2, 0.5];
    expect(quantile(bounds, [0, 10, 0, 0], 0.5)).toBeCloseTo(0.15);
    expect(quantile(bounds, [5, 5, 0, 0], 0.95)).toBeCloseTo(0.19);
    expect(quantile(bounds, [0, 0, 0, 3], 0.99)).toBe(0.5);
    expect(quantile(bounds, [0, 0, 0, 0], 0.5)).toBeNull();
  });
});
