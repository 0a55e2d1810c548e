/**
 * The token bucket behind every limit, as pure functions of (state, policy, now) so the
 * Durable Object, the per-isolate fallback and the property test share one implementation.
 *
 * A bucket holds up to `quota` tokens and refills at `quota / window`; a request spends one.
 * Tokens may be *leased* in batches to a worker isolate (see allowance.ts). A leased token the
 * isolate has not yet reported spent still counts against the capacity (until the lease lapses),
 * so `tokens + unspent leased <= quota` holds at every instant. That invariant bounds any
 * window of W seconds to at most `quota` (the burst) + `quota * W / window` (the refill)
 * requests, however the leases are spread over isolates.
 *
 * @example
 * const policy = { quota: 20, windowSeconds: 60 };
 * const state = emptyState(policy, Date.now());
 * const { state: next, grant } = takeLease(state, policy, Date.now(), 2, 10_000); // grant.granted === 2
 */

export interface BucketPolicy {
  /** Requests per window; also the bucket's capacity (the largest burst). */
  quota: number;
  windowSeconds: number;
}

/** A batch of tokens handed to one isolate; unspent ones lapse at `expiresAt`. */
export interface Lease {
  id: number;
  /** Tokens not yet reported spent. */
  tokens: number;
  expiresAt: number;
}

/** An isolate telling the bucket how many tokens of a lease it has not spent yet. */
export interface LeaseReport {
  id: number;
  unspent: number;
}

export interface BucketState {
  tokens: number;
  updatedAt: number;
  /** Live leases; their unspent tokens count against the capacity until they lapse. */
  leases: Lease[];
  /** Last lease id handed out. */
  seq: number;
}

export interface Grant {
  /** Tokens handed out now (0 = denied). */
  granted: number;
  /** Names the lease in later reports. */
  leaseId: number;
  /** Whole tokens left in the bucket after this grant. */
  remaining: number;
  /** Milliseconds until the bucket gains its next whole token. */
  msToNextToken: number;
  /** When denied: milliseconds until a request could be granted again. */
  retryAfterMs: number;
}

/** Floating-point slack so 19.999999 tokens after refill still counts as 20. */
const EPSILON = 1e-9;

export function refillPerMs(policy: BucketPolicy): number {
  return policy.quota / (policy.windowSeconds * 1000);
}

/** Milliseconds between two tokens. */
export function emissionIntervalMs(policy: BucketPolicy): number {
  return (policy.windowSeconds * 1000) / policy.quota;
}

/** A principal never seen (or whose row was cleaned up) starts with a full bucket. */
export function emptyState(policy: BucketPolicy, now: number): BucketState {
  // Ids start at the clock so a bucket forgotten and made again never reuses a live id.
  return { tokens: policy.quota, updatedAt: now, leases: [], seq: now };
}

function leased(leases: Lease[]): number {
  let sum = 0;
  for (const lease of leases) sum += lease.tokens;
  return sum;
}

/**
 * Brings the bucket to `now`: adds the refill, never above `quota - leased`, where `leased`
 * is what was outstanding at each moment. Leases that lapsed in between are removed at their
 * own expiry, not at `now`, so the room they held is not credited retroactively.
 */
export function refill(state: BucketState, policy: BucketPolicy, now: number): BucketState {
  const perMs = refillPerMs(policy);
  let tokens = state.tokens;
  let at = state.updatedAt;
  let leases = state.leases;
  const lapsing = leases.filter((lease) => lease.expiresAt <= now).sort((a, b) => a.expiresAt - b.expiresAt);
  for (const lease of lapsing) {
    if (lease.expiresAt > at) {
      tokens = Math.min(Math.max(0, policy.quota - leased(leases)), tokens + (lease.expiresAt - at) * perMs);
      at = lease.expiresAt;
    }
    leases = leases.filter((l) => l !== lease);
  }
  const room = Math.max(0, policy.quota - leased(leases));
  tokens = Math.max(0, Math.min(room, tokens + Math.max(0, now - at) * perMs));
  return { tokens, updatedAt: Math.max(now, state.updatedAt), leases, seq: state.seq };
}

/** Lowers leases to what their isolate says is unspent (never raises: reports may arrive late). */
export function applyReports(state: BucketState, reports: LeaseReport[]): BucketState {
  if (reports.length === 0) return state;
  const unspent = new Map(reports.map((r) => [r.id, Math.max(0, r.unspent)]));
  const leases = state.leases
    .map((lease) => (unspent.has(lease.id) ? { ...lease, tokens: Math.min(lease.tokens, unspent.get(lease.id) ?? 0) } : lease))
    .filter((lease) => lease.tokens > 0);
  return { ...state, leases };
}

function msToNextToken(state: BucketState, policy: BucketPolicy): number {
  const fraction = state.tokens - Math.floor(state.tokens + EPSILON);
  const missing = fraction > EPSILON ? 1 - fraction : 1;
  return ceilMs(missing / refillPerMs(policy));
}

/** Rounds up, ignoring float noise (2000.0000000002 ms is 2000 ms). */
function ceilMs(ms: number): number {
  return Math.ceil(ms - 1e-6);
}

/** When no whole token is available: how long until one is (refill, or a lease lapsing to make room). */
function retryAfterMs(state: BucketState, policy: BucketPolicy, now: number): number {
  const refillMs = (1 - state.tokens) / refillPerMs(policy);
  let roomMs = 0;
  if (policy.quota - leased(state.leases) < 1) {
    // Room appears only when enough leases lapse; take the earliest time that frees one token.
    const byExpiry = [...state.leases].sort((a, b) => a.expiresAt - b.expiresAt);
    let held = leased(byExpiry);
    for (const lease of byExpiry) {
      held -= lease.tokens;
      if (policy.quota - held >= 1) {
        roomMs = lease.expiresAt - now;
        break;
      }
    }
  }
  return Math.max(1, ceilMs(roomMs + refillMs));
}

/**
 * Refills, applies the isolate's reports, then takes up to `want` whole tokens as one lease that
 * lapses after `leaseMs`. Returns the new state (to persist) and what was granted.
 */
export function takeLease(
  current: BucketState,
  policy: BucketPolicy,
  now: number,
  want: number,
  leaseMs: number,
  reports: LeaseReport[] = [],
): { state: BucketState; grant: Grant } {
  // Refill first: until this report arrived, the reported tokens were outstanding.
  const state = applyReports(refill(current, policy, now), reports);
  const available = Math.floor(state.tokens + EPSILON);
  const granted = Math.max(0, Math.min(want, available));
  if (granted === 0) {
    return {
      state,
      grant: {
        granted: 0,
        leaseId: 0,
        remaining: 0,
        msToNextToken: msToNextToken(state, policy),
        retryAfterMs: retryAfterMs(state, policy, now),
      },
    };
  }
  const id = state.seq + 1;
  const next: BucketState = {
    tokens: Math.max(0, state.tokens - granted),
    updatedAt: state.updatedAt,
    leases: leaseMs > 0 ? [...state.leases, { id, tokens: granted, expiresAt: now + leaseMs }] : state.leases,
    seq: id,
  };
  return {
    state: next,
    grant: {
      granted,
      leaseId: id,
      remaining: Math.floor(next.tokens + EPSILON),
      msToNextToken: msToNextToken(next, policy),
      retryAfterMs: 0,
    },
  };
}

/** Milliseconds until the bucket is full again and its state can be forgotten. */
export function msUntilFull(state: BucketState, policy: BucketPolicy, now: number): number {
  const lastLease = state.leases.reduce((latest, lease) => Math.max(latest, lease.expiresAt), now);
  const missing = Math.max(0, policy.quota - state.tokens);
  return Math.max(lastLease - now, 0) + ceilMs(missing / refillPerMs(policy));
}

/**
 * The same bucket under a changed quota (an operator edited `RATE_LIMIT_REQUESTS`). What a
 * principal has used is kept as a share of the quota, not as a count: someone who had used
 * half the old quota has used half the new one. Kept as a count, leases and spending under a
 * larger old quota would exceed the new one and refuse the principal until they lapse, for
 * debt they built when it was allowed.
 */
export function rescale(state: BucketState, from: BucketPolicy, to: BucketPolicy): BucketState {
  if (from.quota === to.quota || from.quota <= 0) return state;
  const ratio = to.quota / from.quota;
  const leases = state.leases.map((lease) => ({ ...lease, tokens: Math.floor(lease.tokens * ratio) })).filter((lease) => lease.tokens > 0);
  return { ...state, tokens: Math.min(to.quota, state.tokens * ratio), leases };
}
