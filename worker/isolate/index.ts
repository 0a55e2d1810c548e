import { MEMORY_BUDGET, type MemoryBudgetName } from './budget';
import { Lru } from './lru';

export { ISOLATE_CACHE_BYTES, MEMORY_BUDGET, type MemoryBudgetName, OTHER_BYTES, PAGE_DATA_BYTES, RENDERED_PAGE_BYTES } from './budget';
export { Lru, type LruLimits } from './lru';
export { LRU_ENTRY_BYTES, NUMBER_BYTES, objectBytes, PARSED_JSON_FACTOR, parsedJsonBytes, stringBytes } from './sizes';

/**
 * Something an isolate keeps across requests (a cache, a copy, a memo), made on first use in the
 * current IsolateMemory. The descriptor is only a key: declaring one stores nothing.
 *
 * @example
 * const seen = held('revocations', () => new Map<string, number>());
 * seen.get().set(digest, exp); // this isolate's map; a fresh isolate has an empty one
 */
export interface Held<T> {
  /** The budget line (or, for what is not counted in bytes, a plain name) it belongs to. */
  readonly name: string;
  /** The value as this isolate holds it now. */
  get(): T;
}

interface Slot<T> {
  readonly name: string;
  create(): T;
  bytes?(value: T): number;
}

/**
 * Everything the isolate remembers across requests, in one object: page data, verified tokens,
 * revocations, rate-limit allowances, metric keys, the flag snapshot, the health report, the
 * asset manifest, version ceilings. Each module declares what it keeps with `held`/`heldLru`
 * and reads it through here, so a fresh IsolateMemory is a cold isolate with no list to keep.
 * Metric points not yet flushed are data on their way out, not memory: they stay.
 */
export class IsolateMemory {
  readonly #values = new Map<Slot<unknown>, unknown>();

  value<T>(slot: Slot<T>): T {
    let value = this.#values.get(slot) as T | undefined;
    if (value === undefined) {
      value = slot.create();
      this.#values.set(slot, value);
    }
    return value;
  }

  /** Accounted bytes held now, by budget line (only what is counted in bytes). */
  accountedBytes(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [slot, value] of this.#values) {
      if (slot.bytes) out[slot.name] = (out[slot.name] ?? 0) + slot.bytes(value);
    }
    return out;
  }
}

let memory = new IsolateMemory();

/** The memory of the isolate this code runs in. */
export function isolateMemory(): IsolateMemory {
  return memory;
}

/** Replaces the isolate's memory with an empty one: the next request is served as a cold isolate's first (tests). */
export function freshIsolate(): IsolateMemory {
  memory = new IsolateMemory();
  return memory;
}

/** Declares something the isolate keeps; `bytes` counts it against its budget line. */
export function held<T>(name: string, create: () => T, bytes?: (value: T) => number): Held<T> {
  const slot: Slot<T> & Held<T> = {
    name,
    create,
    ...(bytes ? { bytes } : {}),
    get: () => memory.value(slot),
  };
  return slot;
}

/** A byte-bounded LRU with its line's share of the isolate budget (budget.ts). */
export function heldLru<K, V>(name: MemoryBudgetName, sizeOf: (key: K, value: V) => number): Held<Lru<K, V>> {
  return held(
    name,
    () => new Lru<K, V>({ maxBytes: MEMORY_BUDGET[name], sizeOf }),
    (lru) => lru.bytes,
  );
}
