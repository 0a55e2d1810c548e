import { held } from '../isolate';
import { EMPTY_SNAPSHOT, type FlagSnapshot, flagSnapshotSchema } from './schema';

/** The one KV key every isolate reads the flag set from. */
export const FLAG_SNAPSHOT_KEY = 'flags:snapshot';
/**
 * How long an isolate answers from its copy before it asks KV again (in the background). A
 * change therefore reaches an isolate at most this long after KV shows it there
 * (docs/architecture.md#feature-flags has the whole bound and the measured figure).
 */
export const FLAG_SNAPSHOT_TTL_MS = 5_000;
/**
 * KV caches a read in the location that made it for `cacheTtl` seconds; 30 is the least it
 * accepts (https://developers.cloudflare.com/kv/api/read-key-value-pairs/#cachettl-parameter).
 */
const KV_CACHE_TTL_SECONDS = 30;
/** KV accepts one write per second per key (https://developers.cloudflare.com/kv/api/write-key-value-pairs/#limits-to-kv-writes). */
const KV_WRITE_INTERVAL_MS = 1_000;

export type WaitUntil = (promise: Promise<unknown>) => void;

interface Copy {
  snapshot: FlagSnapshot;
  /** When this isolate last asked KV, successfully or not. */
  checkedAt: number;
}

/** What a store remembers across requests, in the isolate's memory (worker/isolate). */
interface Memory {
  copy: Copy | undefined;
  refreshing: Promise<FlagSnapshot> | undefined;
  lastPutAt: number;
}

/**
 * The flag set as this isolate sees it: D1 is the source of truth, KV carries one snapshot with
 * a version to every location, and each isolate keeps a copy for `ttlMs` (FLAG_SNAPSHOT_TTL_MS). A warm
 * request evaluates from the copy with no I/O; an older copy is still used while one background
 * read refreshes it. If KV fails, the last copy stays (or no flags at all, so every flag
 * answers its default): flags never make a page fail.
 */
export class FlagSnapshotStore {
  readonly #memory = held<Memory>('flagSnapshot', () => ({ copy: undefined, refreshing: undefined, lastPutAt: 0 }));
  /** How long the copy is used before a background refresh; tests that count round trips raise it. */
  ttlMs = FLAG_SNAPSHOT_TTL_MS;

  /**
   * This isolate's copy, with no I/O; undefined until the first load. A copy older than the TTL
   * is still returned, and a refresh is started through `waitUntil`.
   */
  peek(env: Env, waitUntil: WaitUntil, now = Date.now()): FlagSnapshot | undefined {
    const memory = this.#memory.get();
    const copy = memory.copy;
    if (copy && now - copy.checkedAt >= this.ttlMs && !memory.refreshing) waitUntil(this.refresh(env, now));
    return copy?.snapshot;
  }

  /** The copy if there is one (see `peek`), else the first read of KV. Never rejects. */
  async get(env: Env, waitUntil: WaitUntil, now = Date.now()): Promise<FlagSnapshot> {
    return this.peek(env, waitUntil, now) ?? this.refresh(env, now);
  }

  /** Reads KV now and keeps the newer of that and the copy. */
  refresh(env: Env, now = Date.now()): Promise<FlagSnapshot> {
    // One read per isolate at a time: concurrent requests join it.
    const memory = this.#memory.get();
    memory.refreshing ??= this.#load(env, now).finally(() => {
      memory.refreshing = undefined;
    });
    return memory.refreshing;
  }

  /**
   * After a change committed in D1: this isolate uses the new snapshot at once, and KV gets it
   * for every other isolate. Resolves false when KV refused it (the next admin list retries).
   */
  async publish(env: Env, snapshot: FlagSnapshot, now = Date.now()): Promise<boolean> {
    this.#adopt(snapshot, now);
    const memory = this.#memory.get();
    const wait = memory.lastPutAt + KV_WRITE_INTERVAL_MS - Date.now();
    if (wait > 0) await scheduler.wait(wait);
    // A later change made while this one waited publishes itself; do not overwrite it.
    if ((memory.copy?.snapshot.version ?? 0) > snapshot.version) return true;
    try {
      memory.lastPutAt = Date.now();
      await env.CACHE.put(FLAG_SNAPSHOT_KEY, JSON.stringify(snapshot));
      return true;
    } catch (err) {
      logWarning('flag snapshot not published to KV', err, snapshot.version);
      return false;
    }
  }

  /** The version KV holds now, or undefined when it holds none or cannot be read. */
  async publishedVersion(env: Env): Promise<number | undefined> {
    const stored = await readKv(env).catch(() => undefined);
    return stored?.version;
  }

  /** Forgets the copy: tests start each case from a cold isolate. */
  reset(): void {
    Object.assign(this.#memory.get(), { copy: undefined, refreshing: undefined, lastPutAt: 0 });
    this.ttlMs = FLAG_SNAPSHOT_TTL_MS;
  }

  async #load(env: Env, now: number): Promise<FlagSnapshot> {
    try {
      // No key in KV means nothing was ever published there (a new namespace): no flags, every
      // default holds, and pages never wait on D1 for flags. GET /admin/flags publishes D1's set.
      return this.#adopt((await readKv(env)) ?? EMPTY_SNAPSHOT, now);
    } catch (err) {
      const memory = this.#memory.get();
      logWarning('flag snapshot refresh failed; keeping the last copy', err, memory.copy?.snapshot.version);
      // Retry after the TTL rather than on every request while KV is down.
      const snapshot = memory.copy?.snapshot ?? EMPTY_SNAPSHOT;
      memory.copy = { snapshot, checkedAt: now };
      return snapshot;
    }
  }

  #adopt(snapshot: FlagSnapshot, now: number): FlagSnapshot {
    const memory = this.#memory.get();
    const copy = memory.copy;
    // KV may briefly hold an older snapshot than this isolate (its own write, or a write that
    // lost a race): versions only move forward.
    const keep = copy && copy.snapshot.version > snapshot.version ? copy.snapshot : snapshot;
    memory.copy = { snapshot: keep, checkedAt: now };
    return keep;
  }
}

async function readKv(env: Env): Promise<FlagSnapshot | undefined> {
  const raw = await env.CACHE.get(FLAG_SNAPSHOT_KEY, { type: 'json', cacheTtl: KV_CACHE_TTL_SECONDS });
  if (raw === null) return undefined;
  const parsed = flagSnapshotSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`the KV flag snapshot is malformed: ${parsed.error.issues[0]?.message ?? 'unknown'}`);
  return { ...parsed.data, flags: [...parsed.data.flags].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)) };
}

function logWarning(msg: string, err: unknown, version: number | undefined): void {
  console.warn(JSON.stringify({ level: 'warn', msg, version, error: err instanceof Error ? err.message : String(err) }));
}

/** The isolate's one store: module scope lives as long as the isolate. */
export const flagSnapshots = new FlagSnapshotStore();
