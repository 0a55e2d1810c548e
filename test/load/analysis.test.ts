import { describe, expect, it } from 'vitest';
import {
  breach,
  describeRuntimeShare,
  findKnee,
  latencyDrift,
  median,
  memoryTrend,
  mixedRatio,
  RELATIVE_STRESS_LIMITS,
  runtimeShare,
  type StressStep,
  soakVerdict,
  spinRoundsToMatch,
  writeBudgetFor,
} from '../../load/lib/analysis';
import { isCacheHit, isIsolateHit } from '../../load/lib/stats';

const step = (connections: number, rps: number, p99: number, errorRate = 0): StressStep => ({
  connections,
  rps,
  p50: p99 / 3,
  p99,
  errorRate,
  rpsRatio: null,
  p99Ratio: null,
});

describe('the stress knee', () => {
  it('is the last step within p99 ≤ 1 s and errors ≤ 1%, and names what broke next', () => {
    const knee = findKnee([step(10, 100, 200), step(25, 180, 600), step(50, 190, 1400), step(100, 150, 3000)]);
    expect(knee.knee?.connections).toBe(25);
    expect(knee.broke?.connections).toBe(50);
    expect(knee.reason).toBe('at 50 connections: p99 1400 ms > 1000 ms');
    expect(knee.peakRps?.connections).toBe(50);
  });

  it('stops at errors before latency', () => {
    expect(breach(step(50, 1, 10, 0.02))).toBe('error rate 2.0% > 1%');
    expect(breach(step(50, 1, 10, 0.01))).toBeNull();
    expect(findKnee([step(10, 5, 10, 0.5)]).knee).toBeNull();
  });

  it('says so when the ramp never broke the limits', () => {
    const knee = findKnee([step(10, 100, 20), step(25, 200, 30)]);
    expect(knee.knee?.connections).toBe(25);
    expect(knee.broke).toBeNull();
    expect(knee.reason).toMatch(/ended at 25 connections within the limits/);
    expect(findKnee([]).peakRps).toBeNull();
  });
});

describe('soak drift', () => {
  it('compares the first and the last tenth of the run', () => {
    // 100 s: 10 ms at the start, 30 ms at the end, the middle ignored.
    const arrivals = [1, 2, 5, 50, 60, 91, 95, 99];
    const latencies = [10, 10, 10, 500, 500, 30, 30, 30];
    const drift = latencyDrift(latencies, arrivals, 100);
    expect(drift.windowSec).toBe(10);
    expect(drift.first.p50).toBe(10);
    expect(drift.last.p50).toBe(30);
    expect(drift.p50).toBe(3);
    expect(drift.rps).toBe(1);
  });

  it('gives null ratios when a window is empty', () => {
    expect(latencyDrift([5], [50], 100).p99).toBeNull();
  });
});

describe('memory trend', () => {
  it('fits MB per minute by least squares', () => {
    const trend = memoryTrend([
      { t: 0, rssMb: 100 },
      { t: 30, rssMb: 105 },
      { t: 60, rssMb: 110 },
    ]);
    expect(trend).toEqual({ samples: 3, startMb: 100, endMb: 110, maxMb: 110, slopeMbPerMin: 10 });
  });

  it('is flat for one sample and absent for none', () => {
    expect(memoryTrend([{ t: 0, rssMb: 90 }])?.slopeMbPerMin).toBe(0);
    expect(memoryTrend([])).toBeNull();
  });
});

describe('the soak pass line (after the first minute: RSS < +10 %, p99 drift < ×1.5)', () => {
  /** One response per 100 ms for `seconds`, each with the latency `at(t)`. */
  const run = (seconds: number, at: (t: number) => number) => {
    const arrivals = Array.from({ length: seconds * 10 }, (_, i) => i / 10);
    return { latencies: arrivals.map(at), arrivals };
  };
  const memory = (seconds: number, rss: (t: number) => number) =>
    Array.from({ length: seconds / 5 + 1 }, (_, i) => ({ t: i * 5, rssMb: rss(i * 5) }));

  it('passes a flat run, whatever the first minute did', () => {
    const { latencies, arrivals } = run(600, (t) => (t < 60 ? 500 : 20));
    const v = soakVerdict(
      memory(600, (t) => (t < 60 ? 400 + t : 560)),
      latencies,
      arrivals,
      600,
    );
    expect(v.failures).toEqual([]);
    expect(v.rssGrowth).toBe(0);
    expect(v.p99Drift).toBe(1);
  });

  it('fails growing memory and drifting latency after the first minute', () => {
    const { latencies, arrivals } = run(600, (t) => 20 + t / 10);
    const v = soakVerdict(
      memory(600, (t) => 500 + t / 5),
      latencies,
      arrivals,
      600,
    );
    expect(v.rssGrowth).toBeCloseTo(108 / 512, 2);
    expect(v.p99Drift).toBeGreaterThan(1.5);
    expect(v.failures).toHaveLength(2);
  });

  it('refuses to judge a run too short to have a settled minute and a last one', () => {
    const { latencies, arrivals } = run(120, () => 20);
    expect(
      soakVerdict(
        memory(120, () => 500),
        latencies,
        arrivals,
        120,
      ).failures[0],
    ).toMatch(/at least 180 s/);
  });
});

describe('Cache-Status: which layer answered', () => {
  it('tells an isolate hit from a KV hit', () => {
    expect(isIsolateHit('foyer-isolate; hit; ttl=299')).toBe(true);
    expect(isIsolateHit('foyer-kv; fwd=miss, foyer-isolate; hit; ttl=10; detail=source-failed')).toBe(true);
    expect(isIsolateHit('foyer-kv; hit; ttl=250, foyer-isolate; fwd=miss; stored')).toBe(false);
    expect(isCacheHit('foyer-kv; hit; ttl=250, foyer-isolate; fwd=miss; stored')).toBe(true);
  });
});

describe('the knee against hello world (issue #22: p99 ≤ ×4, throughput ≥ ×0.45, errors ≤ hello’s + 1%)', () => {
  const relative = (connections: number, rpsRatio: number, p99Ratio: number, errorRate = 0, baselineErrorRate = 0): StressStep => ({
    ...step(connections, 1000, 5000, errorRate),
    rpsRatio,
    p99Ratio,
    baselineErrorRate,
  });

  it('ignores an absolute p99 that hello world passes too, and stops at the first ratio out of bounds', () => {
    const knee = findKnee([relative(200, 0.5, 2.9), relative(400, 0.48, 3.5), relative(600, 0.47, 4.6)], RELATIVE_STRESS_LIMITS);
    expect(knee.knee?.connections).toBe(400);
    expect(knee.reason).toBe("at 600 connections: p99 ×4.6 hello world's > ×4");
    expect(breach(relative(800, 0.4, 2), RELATIVE_STRESS_LIMITS)).toBe("throughput ×0.40 hello world's < ×0.45");
  });

  it("counts only the errors beyond hello world's in the same run", () => {
    expect(breach(relative(1000, 0.5, 2, 0.05, 0.045), RELATIVE_STRESS_LIMITS)).toBeNull();
    expect(breach(relative(1000, 0.5, 2, 0.05, 0), RELATIVE_STRESS_LIMITS)).toBe("error rate 5.0% > 1.0% (hello world's + 1%)");
  });
});

describe("the local runtime's share at high concurrency", () => {
  const latency = (mean: number) => ({ p50: mean, p95: mean, p99: mean, max: mean, mean });

  it("names hello world's own losses and the latency the queue alone explains (Little's law)", () => {
    const share = runtimeShare({
      name: 'intro-page warm @1000',
      connections: 1000,
      stats: { rps: 2000, errors: 141, requests: 40_000, latencyMs: latency(600) },
      baseline: { rps: 5000, errors: 12, requests: 50_000, latencyMs: latency(210) },
    });
    expect(share?.queueMeanMs).toEqual({ phase: 500, baseline: 200 });
    const text = describeRuntimeShare(share!);
    expect(text).toContain('also lost 12 of 50012 requests (Foyer 141)');
    expect(text).toContain('hello world 200 ms (mean measured 210 ms), Foyer 500 ms (mean measured 600 ms)');
  });

  it('has nothing to say without a baseline', () => {
    expect(
      runtimeShare({ name: 'x', connections: 1000, stats: { rps: 1, errors: 0, requests: 1, latencyMs: latency(1) }, baseline: null }),
    ).toBeNull();
  });
});

describe('spinRoundsToMatch (the CPU-matched control)', () => {
  it('scales the calibration linearly to the CPU above hello world', () => {
    // 200,000 rounds added 0.4 ms to hello world's 0.6 ms; Foyer costs 1.4 ms: 0.8 ms more.
    expect(spinRoundsToMatch(1.4, 0.6, 1.0, 200_000)).toBe(400_000);
    expect(spinRoundsToMatch(0.8, 0.6, 1.0, 200_000)).toBe(100_000);
  });

  it('gives no count without figures or without a cost above hello world', () => {
    expect(spinRoundsToMatch(null, 0.6, 1.0, 200_000)).toBeNull();
    expect(spinRoundsToMatch(1.4, undefined, 1.0, 200_000)).toBeNull();
    expect(spinRoundsToMatch(0.5, 0.6, 1.0, 200_000)).toBeNull();
    expect(spinRoundsToMatch(1.4, 0.6, 0.6, 200_000)).toBeNull();
  });
});

describe('mixedRatio and writeBudgetFor (the floor scenario)', () => {
  it('blends reads and writes by CPU per request against hello world', () => {
    // 95 % reads at 1 ms and 5 % writes at 10 ms: 1.45 ms a request; hello world at 0.5 ms.
    expect(mixedRatio(0.5, 1, 10, 0.05)).toBeCloseTo(0.5 / 1.45, 6);
    expect(mixedRatio(0.5, 0.5, 0.5, 0.05)).toBeCloseTo(1, 6);
    expect(mixedRatio(0.5, 1, 10, 0)).toBeCloseTo(0.5, 6);
  });

  it('gives the write cost at which the mix reaches a ratio, and none when reads alone miss it', () => {
    // Hello 0.5 ms, reads 0.8 ms: 0.5 at 1 ms a request leaves (1 − 0.76) / 0.05 = 4.8 ms a write.
    expect(writeBudgetFor(0.5, 0.5, 0.8, 0.05)).toBeCloseTo(4.8, 6);
    const budget = writeBudgetFor(0.5, 0.5, 0.8, 0.05)!;
    expect(mixedRatio(0.5, 0.8, budget, 0.05)).toBeCloseTo(0.5, 6);
    // Reads at 1.1 ms already cost more than 1 ms a request: no write budget is left.
    expect(writeBudgetFor(0.5, 0.5, 1.1, 0.05)).toBeNull();
  });

  it('gives nothing without figures', () => {
    expect(mixedRatio(null, 1, 10, 0.05)).toBeNull();
    expect(mixedRatio(0.5, undefined, 10, 0.05)).toBeNull();
    expect(writeBudgetFor(0.5, 0.5, null, 0.05)).toBeNull();
  });
});

describe('median', () => {
  it('takes the middle of the known values', () => {
    expect(median([3, null, 1, 2])).toBe(2);
    expect(median([4, 1, undefined, 3, 2])).toBe(2.5);
    expect(median([null, undefined])).toBeNull();
  });
});
