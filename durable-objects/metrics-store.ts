import { DurableObject } from 'cloudflare:workers';
import { FanInPacer } from '../worker/fan-in';
import { definition } from '../worker/observability/catalog';
import { type MetricBatch, mergePoint, type SeriesPoint, type StoreSnapshot, seriesKey } from '../worker/observability/series';

/** Minutes of per-minute history kept for windows and the dashboard's charts. */
export const HISTORY_MINUTES = 60;
/** A batch stamped further from the store's clock than this is filed under "now". */
const MAX_SKEW_MS = 5 * 60_000;
/** Series cap per scope: labels are route templates, so real traffic stays far below it. */
const MAX_SERIES = 5000;

/** Batches one shard takes per second from all isolates together; each is told how long to gather before its next. */
export const INGESTS_PER_SECOND = 50;
/**
 * Changed series are written to storage at most this often (by alarm), not on every batch:
 * every isolate sends a batch a second, and each row written is billed
 * (https://developers.cloudflare.com/durable-objects/platform/pricing/). A crash loses at
 * most this much of the aggregate; an idle object has always written everything.
 */
export const PERSIST_EVERY_MS = 10_000;

type Row = { key: string; name: string; labels: string; value: number; sum: number | null; buckets: string | null };

/**
 * One shard of the metrics store (METRICS_SHARDS objects, `global`, `global-1` …, chosen by
 * isolate; worker/observability/flush.ts): it adds up the metric batches that its isolates and
 * Durable Objects flush to it, and /api/v1/metrics adds the shards up, so the admin view sees the
 * whole deployment rather than the one short-lived isolate that happens to answer. Each answer
 * tells the caller how long to gather before its next batch, so a shard takes at most
 * INGESTS_PER_SECOND batches a second however many isolates there are (worker/fan-in.ts).
 * Deployed, Workers Analytics Engine receives the same points from every isolate directly. Totals and per-minute
 * series live in memory; the series that batches changed are written to SQLite storage by
 * an alarm every PERSIST_EVERY_MS (one implicit transaction) and loaded back on start.
 */
export class MetricsStore extends DurableObject<Env> {
  #totals = new Map<string, SeriesPoint>();
  #minutes = new Map<number, Map<string, SeriesPoint>>();
  #startedAt = Date.now();
  #dirtyTotals = new Set<string>();
  #dirtyMinutes = new Map<number, Set<string>>();
  #persistScheduled = false;
  readonly #pacer = new FanInPacer({ budgetPerSecond: INGESTS_PER_SECOND, minIntervalMs: 0 });

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => this.#load());
  }

  #load(): void {
    const sql = this.ctx.storage.sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS totals (
      key TEXT PRIMARY KEY, name TEXT NOT NULL, labels TEXT NOT NULL, value REAL NOT NULL, sum REAL, buckets TEXT)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS minutes (
      minute INTEGER NOT NULL, key TEXT NOT NULL, name TEXT NOT NULL, labels TEXT NOT NULL,
      value REAL NOT NULL, sum REAL, buckets TEXT, PRIMARY KEY (minute, key))`);
    const started = sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'startedAt'`).toArray()[0];
    if (started) this.#startedAt = Number(started.value);
    else sql.exec(`INSERT INTO meta (key, value) VALUES ('startedAt', ?)`, String(this.#startedAt));

    this.#prune(Math.floor(Date.now() / 60_000));
    for (const row of sql.exec<Row>(`SELECT key, name, labels, value, sum, buckets FROM totals`)) {
      this.#totals.set(row.key, fromRow(row));
    }
    for (const row of sql.exec<Row & { minute: number }>(`SELECT minute, key, name, labels, value, sum, buckets FROM minutes`)) {
      this.#minuteMap(row.minute).set(row.key, fromRow(row));
    }
  }

  #minuteMap(minute: number): Map<string, SeriesPoint> {
    let map = this.#minutes.get(minute);
    if (!map) {
      map = new Map();
      this.#minutes.set(minute, map);
    }
    return map;
  }

  #prune(currentMinute: number): void {
    const oldest = currentMinute - HISTORY_MINUTES;
    for (const minute of this.#minutes.keys()) if (minute <= oldest) this.#minutes.delete(minute);
    this.ctx.storage.sql.exec(`DELETE FROM minutes WHERE minute <= ?`, oldest);
  }

  /** Adds one isolate's batch of deltas; answers when that isolate may send its next one (worker/fan-in.ts). */
  async ingest(batch: MetricBatch, isolateId = 'unnamed'): Promise<{ accepted: number; nextFlushInMs: number }> {
    const now = Date.now();
    const at = Math.abs(batch.at - now) > MAX_SKEW_MS ? now : batch.at;
    const minute = Math.floor(at / 60_000);
    const currentMinute = Math.floor(now / 60_000);
    if (!this.#minutes.has(currentMinute)) this.#prune(currentMinute);
    const minuteSeries = this.#minuteMap(minute);
    const dirtyMinute = this.#dirtyMinutes.get(minute) ?? new Set<string>();
    this.#dirtyMinutes.set(minute, dirtyMinute);
    let accepted = 0;
    for (const point of batch.points) {
      if (!definition(point.name)) continue;
      const key = seriesKey(point.name, point.labels);
      if (!this.#totals.has(key) && this.#totals.size >= MAX_SERIES) continue;
      mergePoint(this.#totals, point, key);
      mergePoint(minuteSeries, point, key);
      this.#dirtyTotals.add(key);
      dirtyMinute.add(key);
      accepted++;
    }
    if (accepted > 0 && !this.#persistScheduled) {
      this.#persistScheduled = true;
      await this.ctx.storage.setAlarm(Date.now() + PERSIST_EVERY_MS);
    }
    return { accepted, nextFlushInMs: this.#pacer.admit(isolateId, now) };
  }

  /** Writes the series changed since the last alarm. */
  override async alarm(): Promise<void> {
    this.#persistScheduled = false;
    const sql = this.ctx.storage.sql;
    for (const key of this.#dirtyTotals) {
      const total = this.#totals.get(key);
      if (total)
        sql.exec(`INSERT OR REPLACE INTO totals (key, name, labels, value, sum, buckets) VALUES (?, ?, ?, ?, ?, ?)`, ...toRow(key, total));
    }
    for (const [minute, keys] of this.#dirtyMinutes) {
      for (const key of keys) {
        const point = this.#minutes.get(minute)?.get(key);
        if (!point) continue;
        sql.exec(
          `INSERT OR REPLACE INTO minutes (minute, key, name, labels, value, sum, buckets) VALUES (?, ?, ?, ?, ?, ?, ?)`,
          minute,
          ...toRow(key, point),
        );
      }
    }
    this.#dirtyTotals.clear();
    this.#dirtyMinutes.clear();
  }

  /** Totals plus the last `minutes` minutes (1-60), for /api/v1/metrics and the dashboard. */
  async snapshot(minutes = 15): Promise<StoreSnapshot> {
    const now = Date.now();
    const current = Math.floor(now / 60_000);
    const count = Math.min(Math.max(Math.trunc(minutes), 1), HISTORY_MINUTES);
    const history: StoreSnapshot['minutes'] = [];
    for (let minute = current - count + 1; minute <= current; minute++) {
      history.push({ minute, points: [...(this.#minutes.get(minute)?.values() ?? [])] });
    }
    return { startedAt: this.#startedAt, now, totals: [...this.#totals.values()], minutes: history };
  }

  /** Liveness probe: a real round trip to the object. */
  async ping(): Promise<{ ok: true; at: number }> {
    return { ok: true, at: Date.now() };
  }
}

function toRow(key: string, p: SeriesPoint): [string, string, string, number, number | null, string | null] {
  return [key, p.name, JSON.stringify(p.labels), p.value, p.sum ?? null, p.buckets ? JSON.stringify(p.buckets) : null];
}

function fromRow(row: Row): SeriesPoint {
  const point: SeriesPoint = { name: row.name, labels: JSON.parse(row.labels) as Record<string, string>, value: row.value };
  if (row.buckets) {
    point.sum = row.sum ?? 0;
    point.buckets = JSON.parse(row.buckets) as number[];
  }
  return point;
}
