/**
 * The release's one judgement, kept pure so tests can run it against any traffic: after a step
 * has served for the watch period, does the new version go further or roll back?
 *
 * /api/v1/metrics aggregates every isolate of the Worker in one MetricsStore, whichever version
 * it runs, so the figures of a split are a mix: with a share p on the new version,
 *   errors ≈ p·requests·rate(new) + (1 − p)·requests·rate(old).
 * The old version's rate is known from the minutes before the release (the baseline), so the
 * new version's rate can be estimated from the mix. That is noisier than a per-version figure,
 * which is why a rollback also needs a minimum number of errors beyond what the baseline
 * explains: a single 5xx in a quiet minute must not undo a release.
 */

/** Requests and server errors (5xx) over a span of whole minutes. */
export interface Traffic {
  requests: number;
  errors: number;
}

/** One minute of /api/v1/metrics `timeline`. */
export interface MinuteBucket extends Traffic {
  at: string;
}

export interface Policy {
  /** How far the new version's estimated error rate may exceed the baseline (0.01 = 1 point). */
  maxErrorRateIncrease: number;
  /** Errors beyond what the baseline explains needed before a rollback (noise floor). */
  minExcessErrors: number;
  /** Below this many requests in the window there is nothing to judge. */
  minRequests: number;
}

export const DEFAULT_POLICY: Policy = { maxErrorRateIncrease: 0.01, minExcessErrors: 3, minRequests: 50 };

export type Verdict =
  | { action: 'advance'; reason: string; estimatedRate: number | null }
  | { action: 'rollback'; reason: string; estimatedRate: number | null };

const MINUTE_MS = 60_000;

/**
 * Sums the buckets that lie wholly inside [from, to): the minute a step started in also holds
 * traffic from before it, and the current minute is still filling.
 */
export function trafficBetween(timeline: readonly MinuteBucket[], from: number, to: number): Traffic & { minutes: number } {
  const firstWhole = Math.ceil(from / MINUTE_MS) * MINUTE_MS;
  const lastWholeEnd = Math.floor(to / MINUTE_MS) * MINUTE_MS;
  let requests = 0;
  let errors = 0;
  let minutes = 0;
  for (const bucket of timeline) {
    const at = Date.parse(bucket.at);
    if (at >= firstWhole && at + MINUTE_MS <= lastWholeEnd) {
      requests += bucket.requests;
      errors += bucket.errors;
      minutes++;
    }
  }
  return { requests, errors, minutes };
}

const rate = (t: Traffic) => (t.requests > 0 ? t.errors / t.requests : 0);
const percent = (r: number) => `${(r * 100).toFixed(2)} %`;

/**
 * Judges one step. `share` is the new version's fraction of traffic (0 < share ≤ 1).
 * @example judgeStep({ requests: 1000, errors: 1 }, { requests: 1000, errors: 40 }, 0.1) // rollback
 */
export function judgeStep(baseline: Traffic, observed: Traffic, share: number, policy: Policy = DEFAULT_POLICY): Verdict {
  if (!(share > 0 && share <= 1)) throw new RangeError(`share must be in (0, 1], got ${share}`);
  if (observed.requests < policy.minRequests) {
    return {
      action: 'advance',
      reason: `only ${observed.requests} requests in the window (< ${policy.minRequests}): nothing to judge; the smoke test is the only signal`,
      estimatedRate: null,
    };
  }
  const baselineRate = rate(baseline);
  const expectedFromOld = (1 - share) * observed.requests * baselineRate;
  const newRequests = share * observed.requests;
  const estimatedRate = Math.min(1, Math.max(0, (observed.errors - expectedFromOld) / newRequests));
  const excessErrors = observed.errors - observed.requests * baselineRate;
  const summary = `${observed.errors} errors in ${observed.requests} requests; new version ≈ ${percent(estimatedRate)} against ${percent(baselineRate)} before`;
  if (estimatedRate > baselineRate + policy.maxErrorRateIncrease && excessErrors >= policy.minExcessErrors) {
    return { action: 'rollback', reason: `${summary} (allowed +${percent(policy.maxErrorRateIncrease)})`, estimatedRate };
  }
  return { action: 'advance', reason: summary, estimatedRate };
}

/**
 * Validates `--steps`: increasing whole percentages that end at 100.
 * @example parseSteps('10,50,100') // [10, 50, 100]
 */
export function parseSteps(text: string): number[] {
  const steps = text.split(',').map((s) => Number(s.trim()));
  const valid = steps.every((p, i) => Number.isInteger(p) && p >= 1 && p <= 100 && (i === 0 || p > (steps[i - 1] ?? 0)));
  if (!valid || steps.at(-1) !== 100) {
    throw new Error(`--steps takes increasing whole percentages ending at 100 (e.g. 10,50,100), got "${text}"`);
  }
  return steps;
}
