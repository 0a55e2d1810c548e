import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, judgeStep, type MinuteBucket, parseSteps, trafficBetween } from '../../../scripts/release/decide';

const at = (iso: string, requests: number, errors: number): MinuteBucket => ({ at: iso, requests, errors });

describe('trafficBetween', () => {
  const timeline = [
    at('2026-11-30T12:00:00.000Z', 100, 1),
    at('2026-11-30T12:01:00.000Z', 100, 2),
    at('2026-11-30T12:02:00.000Z', 100, 3),
    at('2026-11-30T12:03:00.000Z', 100, 4),
  ];

  it('counts only the minutes wholly inside the window (not the one the step began in, nor the one still filling)', () => {
    const from = Date.parse('2026-11-30T12:00:30Z');
    const to = Date.parse('2026-11-30T12:03:10Z');
    expect(trafficBetween(timeline, from, to)).toEqual({ requests: 200, errors: 5, minutes: 2 });
  });

  it('counts a minute that starts exactly at the window start', () => {
    const from = Date.parse('2026-11-30T12:01:00Z');
    const to = Date.parse('2026-11-30T12:02:00Z');
    expect(trafficBetween(timeline, from, to)).toEqual({ requests: 100, errors: 2, minutes: 1 });
  });
});

describe('judgeStep', () => {
  const healthyBaseline = { requests: 3000, errors: 6 }; // 0.2 %

  it('rolls back a version whose estimated error rate is far above the baseline, although the mixed rate looks small', () => {
    // 10 % on the new version at 8 % errors, 90 % on the old at 0.2 %: 0.98 % overall.
    const verdict = judgeStep(healthyBaseline, { requests: 2400, errors: 24 }, 0.1);
    expect(verdict.action).toBe('rollback');
    expect(verdict.estimatedRate).toBeCloseTo(0.082, 2);
  });

  it('advances a version that errs like the old one', () => {
    const verdict = judgeStep(healthyBaseline, { requests: 2400, errors: 5 }, 0.1);
    expect(verdict.action).toBe('advance');
    expect(verdict.estimatedRate).toBeLessThan(0.01);
  });

  it('does not roll back for a couple of errors in quiet traffic (the noise floor)', () => {
    // 2 errors on 60 new-version requests is 3.3 %, but below minExcessErrors.
    const verdict = judgeStep({ requests: 3000, errors: 0 }, { requests: 600, errors: 2 }, 0.1);
    expect(verdict.action).toBe('advance');
  });

  it('judges against the baseline: an old version that already errs does not condemn the new one', () => {
    const verdict = judgeStep({ requests: 3000, errors: 150 }, { requests: 2400, errors: 120 }, 0.5);
    expect(verdict.action).toBe('advance');
    expect(verdict.estimatedRate).toBeCloseTo(0.05, 3);
  });

  it('says when there is too little traffic to judge, and does not pretend to have measured', () => {
    const verdict = judgeStep(healthyBaseline, { requests: DEFAULT_POLICY.minRequests - 1, errors: 10 }, 0.1);
    expect(verdict).toMatchObject({ action: 'advance', estimatedRate: null });
    expect(verdict.reason).toMatch(/nothing to judge/);
  });

  it('refuses a share outside (0, 1]', () => {
    expect(() => judgeStep(healthyBaseline, healthyBaseline, 0)).toThrow(RangeError);
  });
});

describe('parseSteps', () => {
  it('takes increasing percentages that end at 100', () => {
    expect(parseSteps('10,50,100')).toEqual([10, 50, 100]);
    expect(parseSteps('100')).toEqual([100]);
  });

  it.each(['10,50', '50,10,100', '0,100', '10,10,100', '10,abc,100', '5.5,100'])('refuses %s', (text) => {
    expect(() => parseSteps(text)).toThrow(/--steps/);
  });
});
