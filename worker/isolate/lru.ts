/**
 * A least-recently-used map bounded by bytes. An isolate's memory is 128 MB shared by every
 * request it serves (https://developers.cloudflare.com/workers/platform/limits/#memory), and an
 * isolate that goes over is ended with every request in it; so each in-isolate cache holds at
 * most its share of one budget (budget.ts, docs/capacity.md), counted with
 * each entry's estimated heap size, and forgets the least recently used first.
 *
 * @example
 * const lru = new Lru<string, number>({ maxBytes: 300, sizeOf: () => 100 });
 * lru.set('a', 1); lru.set('b', 2); lru.get('a'); lru.set('c', 3); lru.set('d', 4); // 'b' is evicted
 */
export interface LruLimits<K, V> {
  /** Accounted bytes this map may hold. */
  maxBytes: number;
  /** Estimated heap bytes of one entry: key, value and the map's own slot (sizes.ts). */
  sizeOf(key: K, value: V): number;
}

export class Lru<K, V> {
  readonly #map = new Map<K, V>();
  /** Each entry's accounted size, apart from the values so that `get` (the warm path) touches one map. */
  readonly #sizes = new Map<K, number>();
  #bytes = 0;
  readonly maxBytes: number;
  readonly #sizeOf: (key: K, value: V) => number;

  constructor(limits: LruLimits<K, V>) {
    this.maxBytes = limits.maxBytes;
    this.#sizeOf = limits.sizeOf;
  }

  get size(): number {
    return this.#map.size;
  }

  /** The accounted bytes held now (never above `maxBytes` once a `set` returns). */
  get bytes(): number {
    return this.#bytes;
  }

  get(key: K): V | undefined {
    const value = this.#map.get(key);
    if (value === undefined) return undefined;
    // Map keeps insertion order: re-inserting makes this the most recently used.
    this.#map.delete(key);
    this.#map.set(key, value);
    return value;
  }

  /** Reads without refreshing recency (for status pages, and hot paths that need no recency). */
  peek(key: K): V | undefined {
    return this.#map.get(key);
  }

  /** Stores `value` as the most recently used; an entry larger than the whole budget is not kept. */
  set(key: K, value: V): void {
    this.delete(key);
    const bytes = this.#sizeOf(key, value);
    if (bytes > this.maxBytes) return;
    this.#map.set(key, value);
    this.#sizes.set(key, bytes);
    this.#bytes += bytes;
    while (this.#bytes > this.maxBytes) {
      const oldest = this.#map.keys().next().value as K;
      this.delete(oldest);
    }
  }

  delete(key: K): void {
    const bytes = this.#sizes.get(key);
    if (bytes === undefined) return;
    this.#map.delete(key);
    this.#sizes.delete(key);
    this.#bytes -= bytes;
  }

  clear(): void {
    this.#map.clear();
    this.#sizes.clear();
    this.#bytes = 0;
  }

  keys(): IterableIterator<K> {
    return this.#map.keys();
  }
}
