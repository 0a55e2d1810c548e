import { thisIsolateId } from '../fan-in';
import { definition } from './catalog';
import { errorMessage, log } from './log';
import { hasPending, restoreBatch, takeBatch } from './metrics';
import { type MetricBatch, mergeSnapshots, type StoreSnapshot } from './series';

/**
 * How long an isolate gathers points before one RPC ships them (var METRICS_FLUSH_MS), at the
 * least: every request of the isolate in that window shares the one batch, and the shard that
 * takes it may ask for a longer gap (worker/fan-in.ts), so no shard sees more than its budget
 * of calls per second however many isolates there are.
 */
export const DEFAULT_FLUSH_DELAY_MS = 1000;
/** Workers Analytics Engine accepts at most 250 data points per invocation. */
const MAX_ANALYTICS_POINTS = 200;

export type MetricsEnv = Pick<Env, 'METRICS'> & { ANALYTICS?: AnalyticsEngineDataset; METRICS_FLUSH_MS?: string };
export type WaitUntil = (promise: Promise<unknown>) => void;

/**
 * The metrics objects: points are spread over this many shards by isolate, and the admin view
 * adds the shards up. Each shard paces its callers, so the count only sets how fresh the admin
 * view stays when there are very many isolates, not how much load one object takes.
 */
export const METRICS_SHARDS = 8;

const shardName = (shard: number) => (shard === 0 ? 'global' : `global-${shard}`);

/** This isolate's shard of the metrics objects (see durable-objects/metrics-store.ts). */
export function metricsStore(env: Pick<Env, 'METRICS'>) {
  return env.METRICS.get(env.METRICS.idFromName(shardName(shardOf(thisIsolateId()))));
}

/** Every shard's snapshot, added up: what /api/v1/metrics shows. */
export async function metricsSnapshot(env: Pick<Env, 'METRICS'>, minutes: number): Promise<StoreSnapshot> {
  const shards = Array.from({ length: METRICS_SHARDS }, (_, shard) => env.METRICS.get(env.METRICS.idFromName(shardName(shard))));
  return mergeSnapshots(await Promise.all(shards.map((stub) => stub.snapshot(minutes))));
}

function shardOf(id: string): number {
  let hash = 0;
  for (let i = 0; i < id.length; i++) hash = (hash * 31 + id.charCodeAt(i)) >>> 0;
  return hash % METRICS_SHARDS;
}

let scheduled = false;
/** The earliest time this isolate's shard accepts its next batch (its answer to the last one). */
let nextFlushAt = 0;

/**
 * Ships this isolate's points after FLUSH_DELAY_MS, inside `waitUntil` so the response is
 * never held up. The request that schedules the flush also performs it, in its own context:
 * a Durable Object stub is an I/O object and may not be used from another request
 * (https://developers.cloudflare.com/workers/observability/errors/).
 * Requests that arrive meanwhile only add to the shared buffer.
 */
export function scheduleFlush(env: MetricsEnv, waitUntil: WaitUntil): void {
  if (scheduled || !hasPending()) return;
  const delayMs = Math.max(flushDelayMs(env), nextFlushAt - Date.now());
  scheduled = true;
  waitUntil(
    (async () => {
      try {
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      } finally {
        scheduled = false;
      }
      await flushMetrics(env);
    })(),
  );
}

let lastFlushAt = 0;

/**
 * For Durable Objects, which must not keep background work alive (it holds the object
 * awake and blocks eviction): flushes inside the handler that is running anyway, awaited,
 * and only when METRICS_FLUSH_MS has passed since this isolate's last flush. Points of an
 * object that then goes quiet wait for the next event in the isolate.
 */
export async function flushIfDue(env: MetricsEnv): Promise<void> {
  if (!hasPending() || Date.now() - lastFlushAt < flushDelayMs(env) || Date.now() < nextFlushAt) return;
  await flushMetrics(env);
}

function flushDelayMs(env: MetricsEnv): number {
  const configured = Number(env.METRICS_FLUSH_MS);
  return env.METRICS_FLUSH_MS !== undefined && configured >= 0 ? configured : DEFAULT_FLUSH_DELAY_MS;
}

/** Sends what is buffered now. A failed send puts the points back for the next flush. */
export async function flushMetrics(env: MetricsEnv): Promise<void> {
  const batch = takeBatch();
  if (!batch) return;
  lastFlushAt = Date.now();
  writeAnalytics(env.ANALYTICS, batch);
  try {
    const { nextFlushInMs } = await metricsStore(env).ingest(batch, thisIsolateId());
    nextFlushAt = Date.now() + nextFlushInMs;
  } catch (err) {
    restoreBatch(batch);
    log.error('metrics flush failed; points kept for the next flush', { points: batch.points.length, error: errorMessage(err) });
  }
}

/**
 * The same points, as deltas, to Workers Analytics Engine (staging and production; the
 * binding is absent locally). Layout, also in docs/operations.md: index1 and blob1 = metric
 * name, blob2… = label values in catalog order; double1 = value (count), double2 = sum,
 * double3… = per-bucket counts.
 */
function writeAnalytics(dataset: AnalyticsEngineDataset | undefined, batch: MetricBatch): void {
  if (!dataset) return;
  try {
    for (const point of batch.points.slice(0, MAX_ANALYTICS_POINTS)) {
      const labels = definition(point.name)?.labels ?? [];
      dataset.writeDataPoint({
        indexes: [point.name],
        blobs: [point.name, ...labels.map((l) => point.labels[l] ?? '')],
        doubles: [point.value, point.sum ?? 0, ...(point.buckets ?? [])],
      });
    }
  } catch (err) {
    // Analytics is a second copy; the store already has the points, so only log.
    log.error('analytics engine write failed', { error: errorMessage(err) });
  }
}
