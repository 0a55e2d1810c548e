/**
 * A bounded least-recently-used map. An isolate's memory is 128 MB shared by every request it
 * serves (https://developers.cloudflare.com/workers/platform/limits/#memory), so the in-isolate
 * layer keeps a fixed number of entries and forgets the oldest-used first.
 *
 * @example
 * const lru = new Lru<string, number>(2);
 * lru.set('a', 1); lru.set('b', 2); lru.get('a'); lru.set('c', 3); // 'b' is evicted
 */
export class Lru<K, V> {
  readonly #map = new Map<K, V>();
  constructor(readonly capacity: number) {}

  get size(): number {
    return this.#map.size;
  }

  get(key: K): V | undefined {
    const value = this.#map.get(key);
    if (value === undefined) return undefined;
    // Map keeps insertion order: re-inserting makes this the most recently used.
    this.#map.delete(key);
    this.#map.set(key, value);
    return value;
  }

  /** Reads without refreshing recency (for status pages). */
  peek(key: K): V | undefined {
    return this.#map.get(key);
  }

  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    while (this.#map.size > this.capacity) {
      const oldest = this.#map.keys().next().value as K;
      this.#map.delete(oldest);
    }
  }

  delete(key: K): void {
    this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
  }
}
