import { DurableObject } from 'cloudflare:workers';
import {
  type BucketPolicy,
  type BucketState,
  emptyState,
  type Grant,
  type LeaseReport,
  msUntilFull,
  refill,
  takeLease,
} from '../worker/rate-limit/bucket';

/**
 * What a worker isolate asks for: up to `want` tokens of the named bucket, valid for `leaseMs`,
 * with how much of its earlier leases it has left unspent.
 */
export interface LeaseRequest {
  bucket: string;
  policy: BucketPolicy;
  want: number;
  leaseMs: number;
  reports: LeaseReport[];
}

interface BucketRow extends Record<string, SqlStorageValue> {
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
 * One object per principal (`idFromName('user:alice')`, `idFromName('ip:203.0.113.7')`), holding
 * a token bucket per rate-limit class. Keys are spread by principal, so no object is shared by
 * everyone: each sees only its principal's traffic, and only once per lease (see
 * worker/rate-limit/allowance.ts), not once per request.
 *
 * State lives in the object's SQLite storage and is written before each grant is answered:
 * the output gate holds the reply until the write is durable
 * (https://developers.cloudflare.com/durable-objects/api/storage-api/), so an evicted or
 * restarted object resumes with the same counts. A full bucket is the same as no row, so an
 * alarm deletes the storage once every bucket has refilled: idle principals cost nothing.
 */
export class RateLimiter extends DurableObject<Env> {
  #alarmSet = false;

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
    const { state, grant } = takeLease(this.#load(request.bucket, request.policy), request.policy, now, want, leaseMs, reports);
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
    if (!this.#alarmSet) {
      this.#alarmSet = true;
      if ((await this.ctx.storage.getAlarm()) === null) {
        await this.ctx.storage.setAlarm(now + msUntilFull(state, request.policy, now));
      }
    }
    return grant;
  }

  /** Forgets everything once every bucket is full again (same as no row); otherwise looks again then. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    let wait = 0;
    for (const row of this.ctx.storage.sql.exec<BucketRow>('SELECT * FROM buckets')) {
      const policy = { quota: row.quota, windowSeconds: row.window_seconds };
      wait = Math.max(wait, msUntilFull(refill(stateOf(row), policy, now), policy, now));
    }
    if (wait === 0) {
      // deleteAll drops the SQLite database too (tables included), so the table is made again.
      await this.ctx.storage.deleteAll();
      this.#createTable();
      this.#alarmSet = false;
      return;
    }
    await this.ctx.storage.setAlarm(now + wait);
  }

  #createTable(): void {
    this.ctx.storage.sql.exec(
      'CREATE TABLE IF NOT EXISTS buckets (name TEXT PRIMARY KEY, tokens REAL NOT NULL, updated_at INTEGER NOT NULL, ' +
        'leases TEXT NOT NULL, quota INTEGER NOT NULL, window_seconds INTEGER NOT NULL, seq INTEGER NOT NULL)',
    );
  }

  #load(bucket: string, policy: BucketPolicy): BucketState {
    const row = this.ctx.storage.sql.exec<BucketRow>('SELECT * FROM buckets WHERE name = ?', bucket).toArray()[0];
    return row ? stateOf(row) : emptyState(policy, Date.now());
  }
}
