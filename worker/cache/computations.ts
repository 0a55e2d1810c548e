import type { CacheRequest, Slot } from './fragment';
import type { KnownVersions } from './known-versions';
import type { LookupCounts } from './lookup-counts';
import { type Computed, readFragment, SourceFailed } from './page-source';
import type { SectionErrors } from './section-errors';
import type { IsolateStore, KvStore } from './stores';

/**
 * Fragments computed from their source (page-source.ts), once per isolate however many requests
 * want one at the same time: the first starts it, the others await the same promise
 * (docs/architecture.md#coalescing). A whole result (no failed section) is stored in both layers.
 */
export class Computations {
  readonly #inflight = new Map<string, { promise: Promise<Computed>; startedAt: number; bookmark?: string }>();

  constructor(
    readonly deps: {
      /** A computation older than this (the time budget) is not joined: see `run`. */
      maxJoinMs: number;
      counts: LookupCounts;
      errors: SectionErrors;
      versions: KnownVersions;
      isolate: IsolateStore;
      kv: KvStore;
    },
  ) {}

  /** The fragment's computation under way in this isolate, or a new one. `slot` undefined: not stored. */
  run(
    req: CacheRequest,
    kind: 'personal' | 'shared',
    userId: string,
    slot: Slot | undefined,
  ): { promise: Promise<Computed>; joined: boolean; startedAt: number } {
    const key = kind === 'personal' ? `p|${slot?.epoch}|${userId}` : `s|${slot?.epoch}`;
    const running = this.#inflight.get(key);
    const bookmark = kind === 'personal' ? req.bookmark : undefined;
    // A computation older than its budget may belong to a cancelled request whose promise will
    // never settle (see PurgeSync.state): start afresh instead of joining it forever. A read that
    // must start at a bookmark (worker/db/sessions.ts) joins only a read from the same one: one
    // from the nearest replica may predate the write it must see, though it started later.
    if (running && Date.now() - running.startedAt <= this.deps.maxJoinMs && (!bookmark || running.bookmark === bookmark)) {
      return { promise: running.promise, startedAt: running.startedAt, joined: true };
    }
    const promise = this.compute(req, kind, userId, slot).finally(() => {
      if (this.#inflight.get(key)?.promise === promise) this.#inflight.delete(key);
    });
    const startedAt = Date.now();
    this.#inflight.set(key, { promise, startedAt, ...(bookmark ? { bookmark } : {}) });
    return { promise, joined: false, startedAt };
  }

  /** A computation of its own (not joined, not joinable): for a request that needs a newer version than the one running. */
  async compute(req: CacheRequest, kind: 'personal' | 'shared', userId: string, slot: Slot | undefined): Promise<Computed> {
    const { counts, errors, versions, isolate, kv } = this.deps;
    const now = req.now ?? Date.now();
    counts.count((c) => c.d1.computes++);
    let computed: Computed;
    try {
      computed = await readFragment(req.env, kind, userId, now, kind === 'personal' ? req.bookmark : undefined);
    } catch (err) {
      if (err instanceof SourceFailed) errors.record(userId, err.errors, now);
      throw err;
    }
    errors.record(userId, computed.errors, now);
    if (computed.failed.length === 0 && slot) {
      if (kind === 'personal') versions.note(userId, computed.fragment.v);
      isolate.putIfNewer(slot, computed.fragment);
      kv.put(slot, computed.fragment, req);
    }
    return computed;
  }
}
