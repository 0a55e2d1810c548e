import { describe, expect, it } from 'vitest';
import {
  baselineRatio,
  byLabel,
  coordTiming,
  isCacheHit,
  mergeSamples,
  percentile,
  perSecond,
  ratio,
  relativeSpread,
  serverTiming,
  summarize,
  summarizeLatencies,
  summarizeWaits,
} from '../../load/lib/stats';

describe('percentile (nearest rank)', () => {
  const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1); // 1..100

  it('gives the smallest value with at least p% of values at or below it', () => {
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 95)).toBe(95);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile(sorted, 0)).toBe(1);
  });

  it('rounds the rank up on small samples', () => {
    expect(percentile([10, 20, 30], 50)).toBe(20);
    expect(percentile([10, 20, 30], 99)).toBe(30);
    expect(percentile([7], 50)).toBe(7);
  });

  it('is 0 for no values and rejects a percentile outside 0..100', () => {
    expect(percentile([], 99)).toBe(0);
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });
});

describe('summaries', () => {
  it('sorts numerically, not as strings', () => {
    const s = summarizeLatencies([100, 9, 20, 3]);
    expect(s).toEqual({ p50: 9, p95: 100, p99: 100, max: 100, mean: 33 });
  });

  it('counts non-2xx and transport errors into the error rate; 304 is a success', () => {
    const stats = summarize({
      latenciesMs: [1, 2, 3, 4],
      arrivalsSec: [0.1, 0.5, 1.2, 1.9],
      statusCodes: { 200: 2, 304: 1, 429: 1 },
      errors: 1,
      cacheSeen: 4,
      cacheHits: 3,
      durationSec: 2,
    });
    expect(stats.requests).toBe(4);
    expect(stats.rps).toBe(2);
    expect(stats.non2xx).toBe(1);
    expect(stats.errorRate).toBeCloseTo(2 / 5);
    expect(stats.cacheHitRate).toBe(0.75);
    expect(stats.series).toEqual([
      { t: 0, rps: 2, p99: 2 },
      { t: 1, rps: 2, p99: 4 },
    ]);
  });

  it('leaves the hit rate null when no response carried Cache-Status', () => {
    const stats = summarize({
      latenciesMs: [1],
      arrivalsSec: [0],
      statusCodes: { 200: 1 },
      errors: 0,
      cacheSeen: 0,
      cacheHits: 0,
      durationSec: 1,
    });
    expect(stats.cacheHitRate).toBeNull();
  });

  it('puts late arrivals into the last second and shows empty seconds as 0', () => {
    expect(perSecond([5, 6], [0.2, 3.4], 3)).toEqual([
      { t: 0, rps: 1, p99: 5 },
      { t: 1, rps: 0, p99: 0 },
      { t: 2, rps: 1, p99: 6 },
    ]);
  });
});

describe('per-label summaries', () => {
  it('groups labelled responses and skips unlabelled ones', () => {
    expect(byLabel([1, 2, 3, 40], ['read', 'read', undefined, 'write'])).toEqual({
      read: { requests: 2, latencyMs: { p50: 1, p95: 2, p99: 2, max: 2, mean: 1.5 } },
      write: { requests: 1, latencyMs: { p50: 40, p95: 40, p99: 40, max: 40, mean: 40 } },
    });
  });
});

describe('ratios to the baseline', () => {
  const empty = summarize({ latenciesMs: [], arrivalsSec: [], statusCodes: {}, errors: 0, cacheSeen: 0, cacheHits: 0, durationSec: 1 });
  const stats = (rps: number, p50: number, p95: number, p99: number) => ({
    ...empty,
    rps,
    latencyMs: { p50, p95, p99, max: p99, mean: p50 },
  });

  it('divides throughput and each latency percentile by the baseline', () => {
    expect(baselineRatio(stats(250, 8, 20, 40), stats(1000, 2, 5, 10))).toEqual({ rps: 0.25, p50: 4, p95: 4, p99: 4 });
  });

  it('gives null instead of Infinity when the baseline has a zero', () => {
    expect(ratio(5, 0)).toBeNull();
    expect(ratio(Number.NaN, 1)).toBeNull();
    expect(baselineRatio(stats(250, 8, 20, 40), stats(0, 2, 5, 10))).toBeNull();
  });
});

describe('Cache-Status (RFC 9211)', () => {
  it('counts a hit from any cache in the list', () => {
    expect(isCacheHit('foyer-kv; hit')).toBe(true);
    expect(isCacheHit('foyer-edge; fwd=miss, foyer-kv; hit; ttl=30')).toBe(true);
    expect(isCacheHit('foyer-kv;HIT')).toBe(true);
  });

  it('does not count misses, stale forwards or a cache merely named hit', () => {
    expect(isCacheHit('foyer-kv; fwd=miss')).toBe(false);
    expect(isCacheHit('foyer-kv; fwd=stale; stored')).toBe(false);
    expect(isCacheHit('hit; fwd=uri-miss')).toBe(false);
    expect(isCacheHit('')).toBe(false);
  });
});

describe('bracketing baselines', () => {
  it('merges two samples into one timeline', () => {
    const a = {
      latenciesMs: [1, 2],
      arrivalsSec: [0.5, 1.5],
      statusCodes: { 200: 2 },
      errors: 0,
      cacheSeen: 0,
      cacheHits: 0,
      durationSec: 2,
    };
    const b = {
      ...a,
      latenciesMs: [3],
      arrivalsSec: [0.2],
      statusCodes: { 200: 1 },
      errors: 1,
      errorKinds: { ECONNRESET: 1 },
      durationSec: 1,
    };
    const m = mergeSamples(a, b);
    expect(m.latenciesMs).toEqual([1, 2, 3]);
    expect(m.arrivalsSec).toEqual([0.5, 1.5, 2.2]);
    expect(m.statusCodes).toEqual({ 200: 3 });
    expect(m.errorKinds).toEqual({ ECONNRESET: 1 });
    expect(summarize(m).rps).toBe(1);
  });

  it('gives the disagreement of the two halves relative to their mean', () => {
    expect(relativeSpread(900, 1100)).toBeCloseTo(0.2);
    expect(relativeSpread(500, 500)).toBe(0);
    expect(relativeSpread(0, 0)).toBeNull();
  });
});

describe('the purge-state wait trace (Server-Timing coord)', () => {
  it('reads the coord entry wherever it stands, and nothing else', () => {
    expect(coordTiming('coord;dur=12.5;desc="purge generations", isolate;dur=0.0')).toBe(12.5);
    expect(coordTiming('ratelimit;dur=1.0, coord;dur=0.0;desc="purge generations"')).toBe(0);
    expect(coordTiming('isolate;dur=0.0, total;dur=1.0')).toBeNull();
    expect(coordTiming('precoord;dur=3')).toBeNull();
    expect(serverTiming('ratelimit;dur=250.0, coord;dur=0.0', 'ratelimit')).toBe(250);
  });

  it('counts the requests that waited and how long', () => {
    expect(summarizeWaits([0, 0, 0.4, 30, 50])).toMatchObject({ seen: 5, waited: 2, max: 50 });
    expect(summarizeWaits([0, 0])).toEqual({ seen: 2, waited: 0, p50: null, p99: null, max: null });
  });
});
