/**
 * npm run capacity [-- --users 10000000 --rps 100000 --writes 0.02 --isolates 10000 --shards 64]
 *
 * The capacity model of docs/capacity.md as arithmetic that can be re-run when a figure moves:
 * per-request costs measured here (load suite, round-trip tests, the local D1's file) times the
 * assumed traffic, against each resource's documented limit. It also simulates the one part
 * that can be simulated on one machine: how users spread over D1 shards under the proposed
 * shard key, and how many move when a shard is added.
 */
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '10000000' },
    rps: { type: 'string', default: '100000' },
    writes: { type: 'string', default: '0.02' },
    isolates: { type: 'string', default: '10000' },
    shards: { type: 'string', default: '64' },
    sample: { type: 'string', default: '1000000' },
  },
});
const num = (name: keyof typeof values) => {
  const n = Number(values[name]);
  if (!(n > 0)) throw new Error(`--${name} takes a positive number, got ${values[name]}`);
  return n;
};
const users = num('users');
const rps = num('rps');
const writeShare = num('writes');
const isolates = num('isolates');
const shards = num('shards');

/** Measured per-request costs (docs/capacity.md "Inputs" says where each comes from). */
export const MEASURED = {
  /** Bytes of D1 (tables and indexes) per seeded user: 13.87 MB for 1003 users, 30 tasks and 49.6 events each. */
  d1BytesPerUser: 13_873_152 / 1003,
  /** One activity event row with its share of the indexes (5.13 MB table + 2.56 MB indexes / 49 600 rows). */
  d1BytesPerEvent: (5_128_192 + 1_396_736 + 1_159_168) / 49_600,
  /** One task row with its share of the indexes (2.78 MB table + 3.19 MB indexes / 30 038 rows). */
  d1BytesPerTask: (2_777_088 + 970_752 + 942_080 + 884_736 + 389_120) / 30_038,
  /**
   * D1 round trips per write: the write batch (change + event + outbox row), the write-through's
   * bundle batch, and the events consumer's one batch (test/events/pipeline.test.ts counts them).
   */
  d1BatchesPerWrite: 3,
  /** KV puts per write: the bundle under its version key and under `latest`. */
  kvPutsPerWrite: 2,
  /** Object calls per write: the hand-off to the user's ActivityFeed (the consumer skips its own when that one took it). */
  feedCallsPerWrite: 1,
  /** Queue messages per write (outbox relay: one event, one send). */
  queueMessagesPerWrite: 1,
  /** Personal bundle freshness (worker/cache/config.ts): at most one D1 batch per active user per this. */
  personalFreshSeconds: 300,
  /** A busy isolate re-reads the purge state from KV this often, per second (worker/cache/purge-sync.ts, every 500 ms). */
  purgeStateReadsPerIsolatePerSecond: 2,
  /**
   * Calls per second one CacheCoordinator or one MetricsStore shard takes, whatever the number of
   * isolates: each answer says when the caller may call again (worker/fan-in.ts; the fan-in test).
   */
  pacedCallsPerObjectPerSecond: 50,
  /** MetricsStore shards (worker/observability/flush.ts); deployed, metrics also go to Analytics Engine. */
  metricsShards: 8,
  /** RateLimiter objects (worker/rate-limit/partition.ts) and the first lease's tokens. */
  limiterObjects: 64,
  firstLeaseTokens: 10,
} as const;

/** Documented platform limits (docs/capacity.md cites each). */
export const LIMITS = {
  d1DatabaseBytes: 10e9,
  d1AccountBytes: 1e12,
  d1Databases: 50_000,
  /** Single-threaded: about 1 000 queries per second at 1 ms each (D1 limits FAQ). */
  d1QueriesPerSecondAt1ms: 1000,
  kvWritesPerKeyPerSecond: 1,
  objectRequestsPerSecond: 1000,
  objectBytes: 10e9,
  queueMessagesPerSecond: 5000,
} as const;

const writesPerSecond = rps * writeShare;
const readsPerSecond = rps - writesPerSecond;
const f = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });
const pct = (used: number, limit: number) => `${f((100 * used) / limit, 1)} %`;

const rows: string[][] = [];
const row = (...cells: (string | number)[]) => rows.push(cells.map(String));

// D1: storage at seed volume, and daily growth from writes (half creates: a task and an event; half updates: an event).
const seedBytes = users * MEASURED.d1BytesPerUser;
const growthPerDay = writesPerSecond * 86_400 * (MEASURED.d1BytesPerEvent + MEASURED.d1BytesPerTask / 2);
const retainedEvents7d = writesPerSecond * 86_400 * 7 * MEASURED.d1BytesPerEvent;
const steadyBytes = seedBytes + retainedEvents7d;
const writeBatchesPerSecond = writesPerSecond * MEASURED.d1BatchesPerWrite;
// Active users per 5 minutes bounded by the page rate: every page is some user's; at most one recompute per user per TTL.
const recomputesPerSecond = Math.min(readsPerSecond, users / MEASURED.personalFreshSeconds);
row(
  'D1, one database',
  'write batches/s',
  f(writeBatchesPerSecond),
  `≈${f(LIMITS.d1QueriesPerSecondAt1ms)} at 1 ms`,
  pct(writeBatchesPerSecond, LIMITS.d1QueriesPerSecondAt1ms),
);
row('D1, one database', 'storage (seed volume)', `${f(seedBytes / 1e9, 1)} GB`, '10 GB', pct(seedBytes, LIMITS.d1DatabaseBytes));
row(
  'D1, all shards',
  'storage growth per day',
  `${f(growthPerDay / 1e9, 1)} GB`,
  '1 TB per account',
  `${f(LIMITS.d1AccountBytes / growthPerDay, 0)} days to the limit`,
);
row(
  'D1, all shards',
  'steady storage (7 days of events kept)',
  `${f(steadyBytes / 1e9, 0)} GB`,
  '1 TB per account',
  pct(steadyBytes, LIMITS.d1AccountBytes),
);
const perShardWrites = writeBatchesPerSecond / shards;
const perShardBytes = steadyBytes / shards;
row(
  `D1, one of ${shards} shards`,
  'write batches/s',
  f(perShardWrites),
  `≈${f(LIMITS.d1QueriesPerSecondAt1ms)} at 1 ms`,
  pct(perShardWrites, LIMITS.d1QueriesPerSecondAt1ms),
);
row(
  `D1, one of ${shards} shards`,
  'storage (steady)',
  `${f(perShardBytes / 1e9, 1)} GB`,
  '10 GB',
  pct(perShardBytes, LIMITS.d1DatabaseBytes),
);
row(
  `D1 replicas, one of ${shards} shards`,
  'bundle recomputes/s',
  f(recomputesPerSecond / shards),
  `≈${f(LIMITS.d1QueriesPerSecondAt1ms)} per replica`,
  pct(recomputesPerSecond / shards, LIMITS.d1QueriesPerSecondAt1ms),
);

// KV.
row('KV, all keys', 'puts/s', f(writesPerSecond * MEASURED.kvPutsPerWrite), 'no account limit (paid)', '–');
row('KV, one user’s `latest` key', 'puts/s at 1 write/s by that user', '1', '1 per key', '100 %');
row('KV, the shared fragment key', 'puts per minute if every isolate refreshes it', f(isolates), '60 per minute', pct(isolates, 60));

// Durable Objects.
const feedPerUser = (writesPerSecond / users) * MEASURED.feedCallsPerWrite;
row(
  'ActivityFeed (one per user)',
  'calls/s per object (average)',
  f(feedPerUser, 5),
  '≈1 000',
  pct(feedPerUser, LIMITS.objectRequestsPerSecond),
);
const limiterCalls = rps / MEASURED.firstLeaseTokens;
row(
  `RateLimiter (${MEASURED.limiterObjects} objects)`,
  'lease calls/s per object (one per 10 requests)',
  f(limiterCalls / MEASURED.limiterObjects),
  '≈1 000',
  pct(limiterCalls / MEASURED.limiterObjects, LIMITS.objectRequestsPerSecond),
);
row(
  `RateLimiter (${MEASURED.limiterObjects} objects)`,
  'worst case: one lease per request',
  f(rps / MEASURED.limiterObjects),
  '≈1 000',
  pct(rps / MEASURED.limiterObjects, LIMITS.objectRequestsPerSecond),
);
row(
  'KV, the purge-state key (`purge:state`)',
  'reads/s (every busy isolate, every 500 ms)',
  f(isolates * MEASURED.purgeStateReadsPerIsolatePerSecond),
  'no per-key read limit (hot keys are cached in each location)',
  '–',
);
row(
  'CacheCoordinator (one object)',
  'counter reports/s (paced)',
  f(Math.min(isolates, MEASURED.pacedCallsPerObjectPerSecond)),
  '≈1 000',
  pct(Math.min(isolates, MEASURED.pacedCallsPerObjectPerSecond), LIMITS.objectRequestsPerSecond),
);
row(
  `MetricsStore (${MEASURED.metricsShards} shards)`,
  'metric batches/s per shard (paced)',
  f(Math.min(isolates / MEASURED.metricsShards, MEASURED.pacedCallsPerObjectPerSecond)),
  '≈1 000',
  pct(Math.min(isolates / MEASURED.metricsShards, MEASURED.pacedCallsPerObjectPerSecond), LIMITS.objectRequestsPerSecond),
);

// Queue.
const messages = writesPerSecond * MEASURED.queueMessagesPerWrite;
row('event queue (one queue)', 'messages/s', f(messages), '5 000', pct(messages, LIMITS.queueMessagesPerSecond));

console.log(
  `${f(users)} users, ${f(rps)} requests/s (${f(writeShare * 100, 1)} % writes: ${f(writesPerSecond)} writes/s), ${f(isolates)} isolates, ${shards} D1 shards\n`,
);
console.log('| resource | what | rate or size | limit | used |');
console.log('| --- | --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);

// The shard key, simulated: jump consistent hash (Lamping & Veach, 2014) of a 64-bit FNV-1a of the user id.
function fnv1a64(text: string): bigint {
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash;
}

export function jumpHash(key: bigint, buckets: number): number {
  let b = -1;
  let j = 0;
  let k = key;
  while (j < buckets) {
    b = j;
    k = (k * 2862933555777941757n + 1n) & 0xffffffffffffffffn;
    j = Math.floor(((b + 1) * 2 ** 31) / Number((k >> 33n) + 1n));
  }
  return b;
}

const sample = Math.min(num('sample'), users);
const counts = new Array<number>(shards).fill(0);
let moved = 0;
for (let i = 1; i <= sample; i++) {
  const key = fnv1a64(`user-${String(i).padStart(8, '0')}`);
  const now = jumpHash(key, shards);
  counts[now]!++;
  if (jumpHash(key, shards + 1) !== now) moved++;
}
const mean = sample / shards;
console.log(
  `\nshard key simulation (${f(sample)} user ids): users per shard ${f(Math.min(...counts))}–${f(Math.max(...counts))} ` +
    `(max ÷ mean ${f(Math.max(...counts) / mean, 3)}); adding shard ${shards + 1} moves ${f((100 * moved) / sample, 2)} % of users ` +
    `(ideal ${f(100 / (shards + 1), 2)} %), every one of them to the new shard.`,
);
