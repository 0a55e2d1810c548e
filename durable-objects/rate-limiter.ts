import { DurableObject } from 'cloudflare:workers';
import {
  type BucketPolicy,
  type BucketState,
  emptyState,
  type Grant,
  msUntilFull,
  refill,
  rescale,
  takeLease,
} from '../worker/rate-limit/bucket';
import type { LeaseRequest } from '../worker/rate-limit/protocol';

interface BucketRow extends Record<string, SqlStorageValue> {
  name: string;
  tokens: number;
  updated_at: number;
  leases: string;
  quota: number;
  window_seconds: number;
  seq: number;
}

function stateOf(row: BucketRow): BucketState {
  return { tokens: row.tokens, updatedAt: row.updated_at, leases: JSON.parse(row.leases), seq: row.seq };
}

/**
 * Token buckets, one per principal and class, for the principals hashed to this object
 * (worker/rate-limit/partition.ts spreads them over LIMITER_SHARDS objects, so objects stay
 * warm and none is a hot spot). Each object sees its principals' traffic only once per lease
 * (see worker/rate-limit/allowance.ts), not once per request.
 *
 * State lives in the object's SQLite storage and is written before each grant is answered:
 * the output gate holds the reply until the write is durable
 * (https://developers.cloudflare.com/durable-objects/api/storage-api/), so an evicted or
 * restarted object resumes with the same counts. Rows are also kept in memory while the object
 * lives (it is their only writer), so a grant costs one write and no read. A full bucket is the
 * same as no row, so an alarm deletes the rows whose buckets have refilled: idle principals
 * cost nothing.
 */
export class RateLimiter extends DurableObject<Env> {
  #alarmSet = false;
  /** The rows as stored (this object is their only writer), so a grant reads no SQL. */
  readonly #rows = new Map<string, BucketState>();
  /** The quota each held row was last granted under, to notice a change without reading SQL. */
  readonly #policies = new Map<string, number>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#createTable();
  }

  /** Liveness probe for the health check: a real round trip to the object. */
  async ping(): Promise<{ ok: true; at: number }> {
    return { ok: true, at: Date.now() };
  }

  /** Grants up to `want` tokens (0 when the bucket is empty, with the time to retry). */
  async acquire(request: LeaseRequest): Promise<Grant> {
    const now = Date.now();
    const want = Math.max(1, Math.floor(request.want));
    const leaseMs = Math.max(0, Math.floor(request.leaseMs));
    const reports = (request.reports ?? []).slice(0, 16);
    const { state, grant } = takeLease(this.#load(request.bucket, request.policy, now), request.policy, now, want, leaseMs, reports);
    this.ctx.storage.sql.exec(
      'INSERT OR REPLACE INTO buckets (name, tokens, updated_at, leases, quota, window_seconds, seq) VALUES (?, ?, ?, ?, ?, ?, ?)',
      request.bucket,
      state.tokens,
      state.updatedAt,
      JSON.stringify(state.leases),
      request.policy.quota,
      request.policy.windowSeconds,
      state.seq,
    );
    this.#rows.set(request.bucket, state);
    if (!this.#alarmSet) {
      this.#alarmSet = true;
      if ((await this.ctx.storage.getAlarm()) === null) {
        await this.ctx.storage.setAlarm(now + Math.max(msUntilFull(state, request.policy, now), MIN_ALARM_MS));
      }
    }
    return grant;
  }

  /** Deletes the rows of buckets that are full again (same as no row); looks again when the next one will be. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    let wait = 0;
    const full: string[] = [];
    for (const row of this.ctx.storage.sql.exec<BucketRow>('SELECT * FROM buckets')) {
      const policy = { quota: row.quota, windowSeconds: row.window_seconds };
      const rest = msUntilFull(refill(stateOf(row), policy, now), policy, now);
      if (rest === 0) full.push(row.name);
      else wait = Math.max(wait, rest);
    }
    for (const name of full) {
      this.ctx.storage.sql.exec('DELETE FROM buckets WHERE name = ?', name);
      this.#rows.delete(name);
      this.#policies.delete(name);
    }
    if (wait === 0) {
      this.#alarmSet = false;
      return;
    }
    await this.ctx.storage.setAlarm(now + Math.max(wait, MIN_ALARM_MS));
  }

  #createTable(): void {
    this.ctx.storage.sql.exec(
      'CREATE TABLE IF NOT EXISTS buckets (name TEXT PRIMARY KEY, tokens REAL NOT NULL, updated_at INTEGER NOT NULL, ' +
        'leases TEXT NOT NULL, quota INTEGER NOT NULL, window_seconds INTEGER NOT NULL, seq INTEGER NOT NULL)',
    );
  }

  #load(bucket: string, policy: BucketPolicy, now: number): BucketState {
    const held = this.#rows.get(bucket);
    if (held && this.#policies.get(bucket) === policy.quota) return held;
    const row = this.ctx.storage.sql.exec<BucketRow>('SELECT * FROM buckets WHERE name = ?', bucket).toArray()[0];
    this.#policies.set(bucket, policy.quota);
    // A changed quota: carry over the share used, not the count (bucket.ts, rescale).
    return row ? rescale(stateOf(row), { quota: row.quota, windowSeconds: row.window_seconds }, policy) : emptyState(policy, now);
  }
}

/** Cleanup need not chase every refill: one alarm a second at most, however many principals. */
const MIN_ALARM_MS = 1000;
