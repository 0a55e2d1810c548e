import type { ActivityEvent } from '../schemas/activity-event';
import { sectionsChangedBy } from '../sections/after-event';
import { applyEvent, readFragmentAfter } from './delta-source';
import type { CacheRequest, Fragment, Slot } from './fragment';
import type { KnownVersions } from './known-versions';
import type { LookupCounts } from './lookup-counts';
import { type Computed, readFragment, SourceFailed } from './page-source';
import type { SectionErrors } from './section-errors';
import type { IsolateStore, KvStore } from './stores';
import type { WriteThrough } from './write-through';

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

  /**
   * The fragment's computation under way in this isolate, or a new one. `slot` undefined: not
   * stored. `how` is what a new one runs (default: read it whole from D1).
   */
  run(
    req: CacheRequest,
    kind: 'personal' | 'shared',
    userId: string,
    slot: Slot | undefined,
    how: () => Promise<Computed> = () => this.compute(req, kind, userId, slot),
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
    const promise = how().finally(() => {
      if (this.#inflight.get(key)?.promise === promise) this.#inflight.delete(key);
    });
    const startedAt = Date.now();
    this.#inflight.set(key, { promise, startedAt, ...(bookmark ? { bookmark } : {}) });
    return { promise, joined: false, startedAt };
  }

  /** A computation of its own (not joined, not joinable): for a request that needs a newer version than the one running. */
  async compute(req: CacheRequest, kind: 'personal' | 'shared', userId: string, slot: Slot | undefined): Promise<Computed> {
    const { counts, errors } = this.deps;
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
    this.#store(req, kind, userId, slot, computed);
    return computed;
  }

  /**
   * A user's bundle after their committed `event`: `base` (the bundle one version before)
   * brought forward by reading only the sections the event can change (delta-source.ts); the
   * whole bundle when that does not apply or fails. Either way the result equals a whole read now.
   */
  async computeAfter(req: CacheRequest, userId: string, slot: Slot, base: Fragment, event: ActivityEvent): Promise<Computed> {
    const now = req.now ?? Date.now();
    const delta = await readFragmentAfter(req.env, userId, base, event, now, req.bookmark).catch(() => undefined);
    if (!delta) return this.compute(req, 'personal', userId, slot);
    this.deps.counts.count((c) => c.d1.computes++);
    this.#store(req, 'personal', userId, slot, delta);
    return delta;
  }

  /**
   * A user's bundle after their committed `event`, from the reads that ran inside the write's
   * own batch (write-through.ts): no D1 round trip here, and no newest-event-id check, since the
   * batch saw exactly the state its own event made. Undefined when they cannot be used (the
   * event rereads other sections than were planned, the held bundle was not one version
   * behind, a section failed to build); the caller then does what it does without them.
   */
  async computeFromWrite(
    req: CacheRequest,
    reads: WriteThrough,
    results: readonly unknown[],
    event: ActivityEvent,
  ): Promise<Computed | undefined> {
    const planned = sectionsChangedBy(event);
    if (!planned || planned.length !== reads.sections.length || planned.some((n, i) => reads.sections[i] !== n)) return undefined;
    if (results.length !== reads.statements.length) return undefined;
    let computed: Computed | undefined;
    try {
      computed = await applyEvent(reads.base, event, reads.sections, reads.build(results), reads.now);
    } catch {
      return undefined;
    }
    if (!computed) return undefined;
    this.deps.counts.count((c) => c.d1.computes++);
    this.#store(req, 'personal', reads.userId, reads.slot, computed);
    return computed;
  }

  /** A whole result (no failed section) goes to both layers. */
  #store(req: CacheRequest, kind: 'personal' | 'shared', userId: string, slot: Slot | undefined, computed: Computed): void {
    const { versions, isolate, kv } = this.deps;
    if (computed.failed.length === 0 && slot) {
      if (kind === 'personal') versions.note(userId, computed.fragment.v);
      isolate.putIfNewer(slot, computed.fragment);
      kv.put(slot, computed.fragment, req);
    }
  }
}
