import { LRU_ENTRY_BYTES, Lru, NUMBER_BYTES, OTHER_BYTES, objectBytes, parsedJsonBytes, stringBytes } from '../isolate';
import { errorMessage, log } from '../observability/log';
import { withTimeout } from '../time-limit';
import type { CacheRequest, Fragment, Slot } from './fragment';
import { kvKeys } from './fragment';
import { KvBatchReader } from './kv-batch-reader';
import { KV_FRAGMENT_TTL_SECONDS } from './purge-state';

/**
 * One layer that holds fragments, nearest first: the isolate's memory, then KV (D1, the source,
 * is worker/cache/page-source.ts). `get` of the isolate answers synchronously (the warm path
 * never awaits); KV's returns a promise. `put` never throws: a copy that could not be stored
 * costs a later miss, never a wrong answer.
 */
export interface FragmentStore<Got> {
  get(slot: Slot, minVersion: number, env: Env): Got;
  put(slot: Slot, fragment: Fragment, req: CacheRequest): void;
}

/** Of the page-data budget, what the shared fragments (one per purge epoch still in use) may hold. */
export const SHARED_FRAGMENT_BYTES = 1024 * 1024;

/**
 * Accounted bytes of one cached fragment: its parsed sections, and the page rendered from it
 * (worker/services/intro-page.ts keeps one per personal fragment: the page object and its UTF-8
 * bytes, which carry the shared sections too). `JSON.stringify` runs only when a fragment is
 * stored (a miss or a write), never on a hit.
 */
export function fragmentBytes(key: string | number, fragment: Fragment, sharedJsonLength: number): number {
  const json = JSON.stringify(fragment).length;
  const keyBytes = typeof key === 'string' ? stringBytes(key) : NUMBER_BYTES;
  const renderedPage = RENDERED_PAGE_OVERHEAD_BYTES + json + sharedJsonLength;
  return LRU_ENTRY_BYTES + keyBytes + parsedJsonBytes(json) + renderedPage;
}

/** A rendered page's objects besides its bytes: the view, the page and its sections objects, the Uint8Array. */
const RENDERED_PAGE_OVERHEAD_BYTES = 512;

/**
 * The isolate's layer: LRUs in module scope, shared by every request of the isolate, bounded by
 * the page-data budget in bytes (worker/isolate/budget.ts).
 */
export class IsolateStore implements FragmentStore<Fragment | undefined> {
  readonly #personal: Lru<string, Fragment>;
  readonly #shared: Lru<number, Fragment>;
  /** JSON length of the newest shared fragment: every personal page rendered carries a copy of its sections. */
  #sharedJson = 0;

  constructor(readonly maxBytes: number) {
    const sharedBytes = Math.min(SHARED_FRAGMENT_BYTES, Math.floor(maxBytes / 4));
    this.#shared = new Lru({ maxBytes: sharedBytes, sizeOf: (epoch, f) => fragmentBytes(epoch, f, 0) });
    this.#personal = new Lru({ maxBytes: maxBytes - sharedBytes, sizeOf: (key, f) => fragmentBytes(key, f, this.#sharedJson) });
  }

  get size(): number {
    return this.#personal.size + this.#shared.size;
  }

  /** Accounted bytes held (never above `maxBytes`). */
  get bytes(): number {
    return this.#personal.bytes + this.#shared.bytes;
  }

  get(slot: Slot): Fragment | undefined {
    return slot.kind === 'personal' ? this.#personal.get(`${slot.epoch}|${slot.userId}`) : this.#shared.get(slot.epoch);
  }

  /** Reads without refreshing recency (health and status pages). */
  peek(slot: Slot): Fragment | undefined {
    return slot.kind === 'personal' ? this.#personal.peek(`${slot.epoch}|${slot.userId}`) : this.#shared.peek(slot.epoch);
  }

  put(slot: Slot, fragment: Fragment): void {
    if (slot.kind === 'personal') this.#personal.set(`${slot.epoch}|${slot.userId}`, fragment);
    else this.#putShared(slot.epoch, fragment);
  }

  #putShared(epoch: number, fragment: Fragment): void {
    this.#sharedJson = JSON.stringify(fragment.s).length;
    this.#shared.set(epoch, fragment);
  }

  /** A computed personal bundle replaces the one held only if it is at least as new (a late computation must not undo a newer one). */
  putIfNewer(slot: Slot, fragment: Fragment): void {
    if (slot.kind === 'shared') {
      this.#putShared(slot.epoch, fragment);
      return;
    }
    const key = `${slot.epoch}|${slot.userId}`;
    const current = this.#personal.peek(key);
    if (!current || current.v < fragment.v || (current.v === fragment.v && current.at <= fragment.at)) this.#personal.set(key, fragment);
  }

  clear(): void {
    this.#personal.clear();
    this.#shared.clear();
  }
}

/** One write per key per second is KV's rate; the margin absorbs timer and clock granularity. */
const KV_KEY_WRITE_INTERVAL_MS = 1100;

/** A KV read slower than this counts as failed: the page goes on to D1 (or its last good copy). */
export const KV_TIMEOUT_MS = 1000;

/**
 * The KV layer: JSON fragments under versioned keys (docs/architecture.md#keys). A personal read
 * asks for `…:v<min>` and `…:latest` together; reads of one page are gathered into one bulk get.
 */
export class KvStore implements FragmentStore<Promise<(Fragment | null)[]>> {
  readonly #reader = new KvBatchReader();
  /** The pending fragment is the one the isolate layer holds (or about to be garbage): only the entry is counted. */
  readonly #recentPuts = new Lru<string, { at: number; pending?: Fragment }>({
    maxBytes: OTHER_BYTES.kvRecentPuts,
    sizeOf: (key) => LRU_ENTRY_BYTES + stringBytes(key) + objectBytes(2) + NUMBER_BYTES,
  });

  get bytes(): number {
    return this.#recentPuts.bytes;
  }

  /** Bounded: a batch may have been started by another request, which can be cancelled. */
  get(slot: Slot, minVersion: number, env: Env): Promise<(Fragment | null)[]> {
    const keys = kvKeys(slot.epoch);
    const wanted =
      slot.kind === 'shared'
        ? [keys.shared()]
        : minVersion > 0
          ? [keys.version(slot.userId, minVersion), keys.latest(slot.userId)]
          : [keys.latest(slot.userId)];
    return withTimeout(
      this.#reader.load<Fragment>(env.CACHE, wanted),
      KV_TIMEOUT_MS,
      () => new Error(`KV did not answer within ${KV_TIMEOUT_MS} ms`),
    );
  }

  /** A personal bundle goes under its version's key and `latest`; the shared one under its key. */
  put(slot: Slot, fragment: Fragment, req: CacheRequest): void {
    const keys = kvKeys(slot.epoch);
    if (slot.kind === 'shared') {
      this.#putThrottled(req, keys.shared(), fragment);
      return;
    }
    this.#putThrottled(req, keys.version(slot.userId, fragment.v), fragment);
    this.#putThrottled(req, keys.latest(slot.userId), fragment);
  }

  clear(): void {
    this.#recentPuts.clear();
  }

  /**
   * KV takes about one write per second per key (https://developers.cloudflare.com/kv/platform/limits/),
   * and the `latest` and shared keys are written again whenever their data changes; so this
   * isolate writes any one key at most once a second. A write that comes too soon is deferred
   * and only the newest value goes out.
   */
  #putThrottled(req: CacheRequest, key: string, fragment: Fragment): void {
    const entry = this.#recentPuts.peek(key);
    const now = Date.now();
    if (!entry || now - entry.at >= KV_KEY_WRITE_INTERVAL_MS) {
      this.#recentPuts.set(key, { at: now });
      req.waitUntil(put(req.env, key, fragment));
      return;
    }
    const scheduled = entry.pending !== undefined;
    entry.pending = fragment;
    if (scheduled) return;
    req.waitUntil(
      (async () => {
        await scheduler.wait(Math.max(0, entry.at + KV_KEY_WRITE_INTERVAL_MS - Date.now()));
        const pending = entry.pending as Fragment;
        entry.pending = undefined;
        entry.at = Date.now();
        await put(req.env, key, pending);
      })(),
    );
  }
}

async function put(env: Env, key: string, fragment: Fragment): Promise<void> {
  try {
    await env.CACHE.put(key, JSON.stringify(fragment), { expirationTtl: KV_FRAGMENT_TTL_SECONDS });
  } catch (err) {
    // KV is a copy; D1 stays the source of truth. A 429 here (two isolates writing one key
    // within a second) costs a later miss, never a wrong answer.
    log.warn('kv write failed', { key, error: errorMessage(err) });
  }
}
