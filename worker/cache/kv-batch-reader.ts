/**
 * Gathers the KV keys asked for in the same turn of the event loop into one bulk `get`
 * (up to 100 keys, one round trip: https://developers.cloudflare.com/kv/api/read-key-value-pairs/),
 * so a page whose personal and shared fragments both miss the isolate still costs one KV read.
 */
export class KvBatchReader {
  #queue: { kv: KVNamespace; keys: string[]; resolve: (v: (unknown | null)[]) => void; reject: (e: unknown) => void }[] = [];

  load<T>(kv: KVNamespace, keys: string[]): Promise<(T | null)[]> {
    if (keys.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      if (this.#queue.length === 0) queueMicrotask(() => this.#flush());
      this.#queue.push({ kv, keys, resolve: resolve as (v: (unknown | null)[]) => void, reject });
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#queue;
    this.#queue = [];
    const byNamespace = new Map<KVNamespace, typeof batch>();
    for (const item of batch) byNamespace.set(item.kv, [...(byNamespace.get(item.kv) ?? []), item]);
    for (const [kv, items] of byNamespace) {
      const keys = [...new Set(items.flatMap((i) => i.keys))];
      try {
        const values = new Map<string, unknown>();
        for (let i = 0; i < keys.length; i += 100) {
          const chunk = keys.slice(i, i + 100);
          const got =
            chunk.length === 1 ? new Map([[chunk[0] as string, await kv.get(chunk[0] as string, 'json')]]) : await kv.get(chunk, 'json');
          for (const [k, v] of got) values.set(k, v);
        }
        for (const item of items) item.resolve(item.keys.map((k) => values.get(k) ?? null));
      } catch (err) {
        for (const item of items) item.reject(err);
      }
    }
  }
}
