import { heldLru, LRU_ENTRY_BYTES, NUMBER_BYTES, objectBytes, stringBytes } from '../isolate';
import { errorMessage, log } from '../observability/log';
import { withTimeout } from '../time-limit';
import { type BucketState, emissionIntervalMs, emptyState, type Grant, type LeaseReport, takeLease } from './bucket';
import type { RatePolicy } from './policy';
import type { LeaseRequest } from './protocol';

/**
 * The in-isolate side of the limiter: a small allowance of tokens leased from the principal's
 * RateLimiter object, so most requests are decided from memory and never wait on the object.
 *
 * - A request spends a leased token if this isolate holds one (a Map lookup).
 * - When the allowance runs low, the next lease is fetched in the background (`waitUntil`),
 *   so an honest client keeps being served from memory.
 * - Only a request that finds no token waits for the object; when the object says the bucket
 *   is empty, the isolate remembers until when, and refuses locally until then (an abusive
 *   client costs no object round trips).
 * - Each lease request reports how much of the earlier leases is still unspent; until then
 *   (or until a lease lapses, `LEASE_MS`) leased tokens count against the bucket's capacity,
 *   so leases never let a principal exceed the bucket's bound (see bucket.ts). The price: an
 *   isolate that stops seeing a principal strands at most two small leases for `LEASE_MS`.
 *
 * Nothing here shares a Promise between requests: the runtime ties I/O to the request that
 * started it, and a request waiting on another request's I/O can hang or fail with "Cannot
 * perform I/O on behalf of a different request"
 * (https://developers.cloudflare.com/workers/observability/errors/). State crosses requests
 * only as plain data.
 */

/**
 * How long a leased token may be spent. Long enough that a user who clicks every few seconds
 * keeps being served from memory (a lapsed lease means the next request waits on the object);
 * short enough that tokens stranded in an isolate the user no longer reaches come back within
 * a minute.
 */
export const LEASE_MS = 60_000;
/** How long a request may wait for the object before the failure policy applies. */
export const OBJECT_TIMEOUT_MS = 1_000;
/** After a failure, skip the object for this long (per key) instead of adding the timeout to every request. */
export const BYPASS_MS = 5_000;
/**
 * Leases an entry is sized for: the one being spent, the prefetched one, and spent ones kept
 * until the object has been told (a handful; each is settled on the next grant).
 */
const LEASES_PER_ENTRY = 4;

/**
 * Accounted bytes of one key's entry, sized for its fullest (leases and a fallback bucket), since
 * it changes in place after it is stored. Keys are remembered per isolate within their byte
 * budget (worker/isolate/budget.ts); the least recently used is forgotten first.
 */
function entryBytes(key: string): number {
  const leases = objectBytes(LEASES_PER_ENTRY) + LEASES_PER_ENTRY * (objectBytes(3) + 2 * NUMBER_BYTES);
  const fallback = objectBytes(4) + 2 * NUMBER_BYTES;
  return LRU_ENTRY_BYTES + stringBytes(key) + objectBytes(10) + 5 * NUMBER_BYTES + leases + fallback;
}

export type Acquire = (request: LeaseRequest) => Promise<Grant>;

export interface Decision {
  allowed: boolean;
  /** The limiter could not be asked and the class fails closed: answer 503. */
  unavailable?: true;
  /** Whole requests left (the `r` of the RateLimit header). */
  remaining: number;
  /** Seconds until the next request's worth of quota comes back (`t`). */
  resetSeconds: number;
  /** When refused: seconds to wait (`Retry-After`). */
  retryAfterSeconds: number;
  /** Where the answer came from: memory, the object, or the per-isolate fallback bucket. */
  source: 'lease' | 'object' | 'fallback' | 'unavailable';
}

interface HeldLease {
  id: number;
  tokens: number;
  expiresAt: number;
}

interface Entry {
  /** Leases of this isolate, spent ones kept until the object has been told. */
  leases: HeldLease[];
  /** The object's bucket after the last grant, and when this isolate learned it. */
  bucketRemaining: number;
  msToNextToken: number;
  observedAt: number;
  /** The object said the bucket is empty until then. */
  deniedUntil: number;
  /** When the background lease now in flight was asked for (0: none). */
  refillingSince: number;
  /** After an object failure: decide locally until then. */
  bypassUntil: number;
  /** Tokens to ask for next (adapts to how fast this isolate spends them: nextLeaseSize). */
  want: number;
  /** When the last lease was asked for. */
  leasedAt: number;
  /** Per-isolate bucket used only while the object is unreachable (fail open). */
  fallback?: BucketState;
}

/** Tokens of a first lease: about a tenth of the quota, between 1 and 10. */
export function leaseSize(policy: RatePolicy): number {
  return Math.min(10, Math.max(1, Math.floor(policy.quota / 10)));
}

/**
 * The most a lease grows to for a principal busy in this isolate: a tenth of the quota. Two
 * such leases (the one being spent and the prefetched one) are what an isolate the principal
 * leaves can strand until they lapse: at most a fifth of the quota, for at most LEASE_MS.
 */
export function maxLeaseSize(policy: RatePolicy): number {
  return Math.max(leaseSize(policy), Math.floor(policy.quota / 10));
}

/**
 * The next lease's size from how fast the last one went. Half a lease spent in `elapsedMs`
 * means it lasts about twice that: under half a LEASE_MS, the principal is busy here, so the
 * next lease doubles (fewer object calls); over a whole LEASE_MS, it halves (fewer stranded
 * tokens). Between the two it stays.
 */
export function nextLeaseSize(current: number, elapsedMs: number, policy: RatePolicy): number {
  const lasts = elapsedMs * 2;
  if (lasts < LEASE_MS / 2) return Math.min(maxLeaseSize(policy), current * 2);
  if (lasts > LEASE_MS) return Math.max(leaseSize(policy), Math.floor(current / 2));
  return current;
}

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

function refused(retryAfterMs: number, source: Decision['source']): Decision {
  const wait = seconds(retryAfterMs);
  return { allowed: false, remaining: 0, resetSeconds: wait, retryAfterSeconds: wait, source };
}

let lastFailureLog = 0;

function logFailure(key: string, policy: RatePolicy, err: unknown, now: number): void {
  // One line per isolate per 10 s: an outage must not turn into a log flood.
  if (now - lastFailureLog < 10_000) return;
  lastFailureLog = now;
  log.error('rate limiter unreachable; applying failure policy', {
    policy: policy.name,
    onLimiterFailure: policy.onLimiterFailure,
    principal: key.startsWith('user:') ? 'user' : 'ip',
    error: errorMessage(err),
  });
}

/**
 * The allowances one isolate holds, by partition key and class. The worker uses the single
 * `allowances` instance; tests make more to play several isolates against one object.
 *
 * @example
 * const decision = await allowances.decide('user:alice', policies.read, acquire, (p) => ctx.waitUntil(p));
 */
export class Allowances {
  /** In the isolate's memory (worker/isolate), one per instance: a fresh isolate holds no lease. */
  readonly #held = heldLru<string, Entry>('rateLimitAllowances', (key) => entryBytes(key));
  readonly #clock: () => number;

  constructor(clock: () => number = Date.now) {
    this.#clock = clock;
  }

  /** Forgets every allowance (tests and benchmarks start from a clean slate). */
  clear(): void {
    lastFailureLog = 0;
    this.#held.get().clear();
  }

  /**
   * Decides one request of `key` under `policy`. `acquire` asks the principal's object for a
   * lease; `defer` keeps background work alive after the response (`ctx.waitUntil`).
   */
  async decide(key: string, policy: RatePolicy, acquire: Acquire, defer: (work: Promise<unknown>) => void): Promise<Decision> {
    const now = this.#clock();
    const entry = this.#touch(`${policy.name}|${key}`);

    if (spend(entry, now)) {
      this.#prefetch(entry, key, policy, acquire, defer);
      return allowed(entry, policy, now, 'lease');
    }
    if (entry.deniedUntil > now) return refused(entry.deniedUntil - now, 'lease');
    if (entry.bypassUntil > now) return failurePolicy(entry, policy, now);

    try {
      await this.#lease(entry, key, policy, acquire, now);
    } catch (err) {
      const failedAt = this.#clock();
      entry.bypassUntil = failedAt + BYPASS_MS;
      logFailure(key, policy, err, failedAt);
      return failurePolicy(entry, policy, failedAt);
    }
    const after = this.#clock();
    if (spend(entry, after)) {
      this.#prefetch(entry, key, policy, acquire, defer);
      return allowed(entry, policy, after, 'object');
    }
    return refused(Math.max(entry.deniedUntil - after, 1), 'object');
  }

  /**
   * Asks the object for a lease, reporting what earlier leases have left. `timed`: a request is
   * waiting for the answer, so it gives up after OBJECT_TIMEOUT_MS; a background refill has no
   * timer (see #prefetch).
   */
  async #lease(entry: Entry, key: string, policy: RatePolicy, acquire: Acquire, askedAt: number, timed = true): Promise<void> {
    const live = entry.leases.filter((lease) => lease.expiresAt > askedAt);
    const reports: LeaseReport[] = live.map((lease) => ({ id: lease.id, unspent: lease.tokens }));
    entry.leasedAt = askedAt;
    const asked = acquire({
      // Many principals share one object (partition.ts): the bucket names both.
      bucket: `${key}|${policy.name}`,
      policy: { quota: policy.quota, windowSeconds: policy.windowSeconds },
      want: entry.want || leaseSize(policy),
      leaseMs: LEASE_MS,
      reports,
    });
    const grant = timed
      ? await withTimeout(asked, OBJECT_TIMEOUT_MS, () => new Error(`the RateLimiter object did not answer within ${OBJECT_TIMEOUT_MS} ms`))
      : await asked;
    // Leases reported empty are settled; the rest stay and are reported again next time.
    const settled = new Set(reports.filter((r) => r.unspent === 0).map((r) => r.id));
    entry.leases = entry.leases.filter((lease) => !settled.has(lease.id) || lease.tokens > 0);
    apply(entry, grant, askedAt, this.#clock());
  }

  /**
   * Fetches the next lease in the background once the allowance is half spent. No timer races
   * it: nobody waits for it, and a timer set and cleared per lease was about 4 % of a warm page's
   * CPU in a profile (most leases are these). A refill still unanswered after OBJECT_TIMEOUT_MS
   * is given up for this purpose: the next one may start, and a request that finds no token
   * waits for the object under the timeout as before (then the failure policy applies).
   */
  #prefetch(entry: Entry, key: string, policy: RatePolicy, acquire: Acquire, defer: (work: Promise<unknown>) => void): void {
    const now = this.#clock();
    const want = entry.want || leaseSize(policy);
    const refilling = entry.refillingSince > 0 && now - entry.refillingSince < OBJECT_TIMEOUT_MS;
    if (refilling || held(entry, now) > Math.floor(want / 2) || entry.deniedUntil > now || entry.bypassUntil > now) {
      return;
    }
    entry.want = nextLeaseSize(want, now - entry.leasedAt, policy);
    entry.refillingSince = now;
    const work = this.#lease(entry, key, policy, acquire, now, false)
      .catch((err: unknown) => {
        const failedAt = this.#clock();
        entry.bypassUntil = failedAt + BYPASS_MS;
        logFailure(key, policy, err, failedAt);
      })
      .finally(() => {
        if (entry.refillingSince === now) entry.refillingSince = 0;
      });
    defer(work);
  }

  #touch(key: string): Entry {
    const entries = this.#held.get();
    let entry = entries.get(key);
    if (!entry) {
      entry = {
        leases: [],
        bucketRemaining: 0,
        msToNextToken: 0,
        observedAt: 0,
        deniedUntil: 0,
        refillingSince: 0,
        bypassUntil: 0,
        want: 0,
        leasedAt: 0,
      };
      entries.set(key, entry);
    }
    return entry;
  }
}

/** The worker's allowances: one per isolate, shared by its requests. */
export const allowances = new Allowances();

function held(entry: Entry, now: number): number {
  entry.leases = entry.leases.filter((lease) => lease.expiresAt > now);
  let sum = 0;
  for (const lease of entry.leases) sum += lease.tokens;
  return sum;
}

/** Spends one token from the live lease that lapses first. */
function spend(entry: Entry, now: number): boolean {
  if (held(entry, now) < 1) return false;
  let pick: HeldLease | undefined;
  for (const lease of entry.leases) if (lease.tokens > 0 && (!pick || lease.expiresAt < pick.expiresAt)) pick = lease;
  if (!pick) return false;
  pick.tokens -= 1;
  return true;
}

function apply(entry: Entry, grant: Grant, askedAt: number, now: number): void {
  // The lease is timed from when it was asked for, which is never later than when the object
  // granted it: the isolate stops spending before the object stops counting.
  if (grant.granted > 0) entry.leases.push({ id: grant.leaseId, tokens: grant.granted, expiresAt: askedAt + LEASE_MS });
  entry.bucketRemaining = grant.remaining;
  entry.msToNextToken = grant.msToNextToken;
  entry.observedAt = now;
  entry.deniedUntil = grant.granted > 0 ? 0 : now + grant.retryAfterMs;
}

function allowed(entry: Entry, policy: RatePolicy, now: number, source: Decision['source']): Decision {
  const interval = emissionIntervalMs(policy);
  let next = entry.msToNextToken - (now - entry.observedAt);
  if (next <= 0) next = interval - (-next % interval);
  return {
    allowed: true,
    remaining: Math.min(policy.quota, held(entry, now) + entry.bucketRemaining),
    resetSeconds: seconds(next),
    retryAfterSeconds: 0,
    source,
  };
}

function failurePolicy(entry: Entry, policy: RatePolicy, now: number): Decision {
  if (policy.onLimiterFailure === 'closed') return { ...refused(BYPASS_MS, 'unavailable'), unavailable: true };
  // Fail open, but not unlimited: this isolate keeps its own bucket for the principal.
  const { state, grant } = takeLease(entry.fallback ?? emptyState(policy, now), policy, now, 1, 0);
  entry.fallback = state;
  if (grant.granted === 0) return refused(grant.retryAfterMs, 'fallback');
  return {
    allowed: true,
    remaining: grant.remaining,
    resetSeconds: seconds(grant.msToNextToken || emissionIntervalMs(policy)),
    retryAfterSeconds: 0,
    source: 'fallback',
  };
}
