import type { Database } from '../db/client';
import { ProblemError } from '../errors';
import { type Held, held, OTHER_BYTES } from '../isolate';
import { errorMessage, log } from '../observability/log';
import type { ActivityEvent, ActivityType } from '../schemas/activity-event';
import type { SectionData } from '../sections';
import { sectionsChangedBy } from '../sections/after-event';
import { sectionReads } from '../sections/load';
import { Computations } from './computations';
import { type CacheConfig, DEFAULT_CACHE_CONFIG, personalFreshMsFor } from './config';
import type { CacheCounters } from './counters';
import { isWholeBundle } from './delta-source';
import { type CacheRequest, type Fragment, type FragmentOutcome, fresh, type Layer, personalSlot, type Slot, sharedSlot } from './fragment';
import { KnownVersions } from './known-versions';
import { LookupCounts } from './lookup-counts';
import { BudgetExceeded, SourceFailed, sectionsOf, withBudget } from './page-source';
import type { PurgeResult } from './protocol';
import type { PurgeScope, PurgeState } from './purge-state';
import { PurgeSync } from './purge-sync';
import { SectionErrors } from './section-errors';
import { IsolateStore, KvStore } from './stores';
import type { WriteThrough } from './write-through';

/** The parts of the cache that hold something between requests. */
interface Layers {
  isolate: IsolateStore;
  kv: KvStore;
  /** Highest version of each user this isolate has seen written (read-your-writes, same isolate). */
  versions: KnownVersions;
  errors: SectionErrors;
  purges: PurgeSync;
  computing: Computations;
}

/**
 * The page cache of one isolate (module scope, so every request it serves shares it): it looks
 * a fragment up in the isolate, then KV, then computes it from D1 (page-source.ts), once per
 * fragment however many requests want it. Read `docs/architecture.md#cache` first.
 */
export class FragmentCache {
  readonly config: CacheConfig;
  /** Counts on their way to the coordinator, like metric points: kept when the isolate's memory is fresh. */
  readonly #counts = new LookupCounts();
  /** What this cache remembers across requests, in the isolate's memory (worker/isolate). */
  readonly #memory: Held<Layers>;
  readonly startedAt = Date.now();

  constructor(config: Partial<CacheConfig> = {}) {
    this.config = { ...DEFAULT_CACHE_CONFIG, ...config };
    this.#memory = held(
      'pages',
      () => this.#layers(),
      (layers) => layers.isolate.bytes,
    );
  }

  #layers(): Layers {
    const counts = this.#counts;
    const isolate = new IsolateStore(this.config.isolateBytes);
    const kv = new KvStore();
    const versions = new KnownVersions(OTHER_BYTES.knownVersions);
    const errors = new SectionErrors(this.config.budgetMs, counts);
    const purges = new PurgeSync(this.config.syncMs, counts);
    const computing = new Computations({ maxJoinMs: this.config.budgetMs, counts, errors, versions, isolate, kv });
    return { isolate, kv, versions, errors, purges, computing };
  }

  get #m(): Layers {
    return this.#memory.get();
  }

  get totals(): CacheCounters {
    return this.#counts.totals;
  }

  /** Counted here but not yet reported to the coordinator. */
  get unreported(): CacheCounters {
    return this.#counts.unreported;
  }

  get isolateEntries(): number {
    return this.#m.isolate.size;
  }

  /** Accounted bytes of page data held in this isolate (at most `config.isolateBytes`). */
  get isolateBytes(): number {
    return this.#m.isolate.bytes;
  }

  /** Accounted bytes of every cache this object holds, by name (the test of the budget reads it). */
  get accountedBytes(): { pages: number; knownVersions: number; kvRecentPuts: number; sectionErrors: number } {
    return {
      pages: this.#m.isolate.bytes,
      knownVersions: this.#m.versions.bytes,
      kvRecentPuts: this.#m.kv.bytes,
      sectionErrors: this.#m.errors.bytes,
    };
  }

  /**
   * The purge generations, read again if older than `syncMs`; undefined: uncached (see
   * PurgeSync.state). With `waitUntil`, a copy older than 500 ms is refreshed in the background.
   */
  async purgeState(env: Env, now = Date.now(), waitUntil?: CacheRequest['waitUntil']): Promise<PurgeState | undefined> {
    return this.config.enabled ? this.#m.purges.state(env, now, waitUntil) : undefined;
  }

  /**
   * This isolate's purge generations if they may be used without a read now; else undefined.
   * With `background`, a copy older than 500 ms is refreshed in `waitUntil`, so a busy isolate's
   * requests never wait for it.
   */
  currentPurgeState(now = Date.now(), background?: Pick<CacheRequest, 'env' | 'waitUntil'>): PurgeState | undefined {
    return this.config.enabled ? this.#m.purges.current(now, background) : undefined;
  }

  purge(env: Env, scope: PurgeScope): Promise<PurgeResult & { effectiveAt: number }> {
    return this.#m.purges.purge(env, scope);
  }

  /** Records a version this isolate saw committed for a user (a write it handled). */
  noteVersion(userId: string, version: number): void {
    this.#m.versions.note(userId, version);
  }

  knownVersion(userId: string): number {
    return this.#m.versions.of(userId);
  }

  /** A user's personal bundle with at least `minVersion` (see docs/architecture.md#cache). */
  personal(req: CacheRequest, state: PurgeState | undefined, userId: string, minVersion: number): Promise<FragmentOutcome> {
    const min = Math.max(minVersion, this.knownVersion(userId));
    const slot = state ? personalSlot(state, userId) : undefined;
    return this.#resolve(req, 'personal', userId, slot, min, personalFreshMsFor(this.config, userId));
  }

  /** The fragment every user shares. */
  shared(req: CacheRequest, state: PurgeState | undefined): Promise<FragmentOutcome> {
    return this.#resolve(req, 'shared', '*', state ? sharedSlot(state) : undefined, 0, this.config.sharedFreshMs);
  }

  /**
   * Both fragments of a user's page when this isolate holds fresh, new-enough copies of both
   * (no I/O, counted as two isolate hits); else undefined, and nothing is counted: the caller
   * takes the full path, which counts what it finds. Synchronous on purpose: an await here
   * costs the warm path about a quarter of its throughput (docs/performance.md).
   */
  pageFromIsolate(
    req: CacheRequest,
    state: PurgeState,
    userId: string,
    minVersion: number,
  ): [FragmentOutcome, FragmentOutcome] | undefined {
    const min = Math.max(minVersion, this.knownVersion(userId));
    const now = req.now ?? Date.now();
    const personal = fresh(this.#m.isolate.get(personalSlot(state, userId)), 'personal', personalFreshMsFor(this.config, userId), min, now);
    const shared = personal && fresh(this.#m.isolate.get(sharedSlot(state)), 'shared', this.config.sharedFreshMs, 0, now);
    if (!personal || !shared) return undefined;
    this.#counts.lookup('isolate', 'hit');
    this.#counts.lookup('isolate', 'hit');
    return [personal, shared];
  }

  /**
   * Computes a user's bundle now and stores it (after their write, or when an operator warms it).
   * Given the write's committed `event`, and the bundle one version before it in this isolate,
   * only the sections the event changes are read from D1 and the rest is carried over
   * (docs/architecture.md#how-a-write-updates-the-cache); the result is the same.
   */
  async refreshPersonal(req: CacheRequest, userId: string, minVersion = 0, event?: ActivityEvent): Promise<Fragment> {
    const state = await this.purgeState(req.env);
    const slot = state ? personalSlot(state, userId) : undefined;
    const base = slot && event ? this.#m.isolate.peek(slot) : undefined;
    const how =
      slot && base && event && base.v === event.id - 1 ? () => this.#m.computing.computeAfter(req, userId, slot, base, event) : undefined;
    let { fragment } = await this.#m.computing.run(req, 'personal', userId, slot, how).promise;
    if (fragment.v < minVersion) ({ fragment } = await this.#m.computing.compute(req, 'personal', userId, slot));
    return fragment;
  }

  /**
   * The reads that bring `userId`'s bundle forward past a write that records an `eventType`
   * event at `now`, built on the write's `db` for its own batch (write-through.ts). Undefined
   * (the write then goes alone, and the write-through reads after it as on a miss) when this
   * isolate holds no whole bundle of theirs under purge generations it may use without a read,
   * or the event is one whose effect is not known section by section.
   */
  writeThroughFor(db: Database, userId: string, eventType: ActivityType, now = Date.now()): WriteThrough | undefined {
    const state = this.currentPurgeState(now);
    const sections = sectionsChangedBy({ type: eventType });
    if (!state || !sections) return undefined;
    const slot = personalSlot(state, userId);
    const base = this.#m.isolate.peek(slot);
    if (!base?.s.personalization || !isWholeBundle(base)) return undefined;
    const reads = sectionReads(db, sections, { userId, now, timeZone: base.s.personalization.timeZone });
    return { statements: reads.statements, build: reads.build, userId, now, slot, base, sections };
  }

  /**
   * After a user's committed write: records its version in this isolate and starts the
   * write-through in `waitUntil` (their next page is then most likely a hit), from
   * `writeThrough` and its `results` when the write's batch carried them. Returns the version to
   * hand back to the caller (worker/http/version-token.ts).
   */
  afterWrite(req: CacheRequest, userId: string, event: ActivityEvent, writeThrough?: WriteThrough, results?: readonly unknown[]): number {
    this.noteVersion(userId, event.id);
    req.waitUntil(
      this.refreshAfterWrite(req, userId, event, writeThrough, results).catch((err: unknown) => {
        log.warn('write-through refresh failed', { userId, error: errorMessage(err) });
      }),
    );
    return event.id;
  }

  /**
   * The write-through after a user's committed `event`: from the reads that ran in the write's
   * own batch when there are some and they fit (no D1 round trip), else as `refreshPersonal`
   * does (the held bundle brought forward by a read of its own, else the whole bundle read).
   * Requests that want the bundle meanwhile join this computation.
   */
  async refreshAfterWrite(
    req: CacheRequest,
    userId: string,
    event: ActivityEvent,
    writeThrough?: WriteThrough,
    results?: readonly unknown[],
  ): Promise<Fragment> {
    if (writeThrough && results && writeThrough.userId === userId) {
      const { slot } = writeThrough;
      const how = async () => {
        const computed = await this.#m.computing.computeFromWrite(req, writeThrough, results, event);
        if (computed) return computed;
        const base = this.#m.isolate.peek(slot);
        return base
          ? this.#m.computing.computeAfter(req, userId, slot, base, event)
          : this.#m.computing.compute(req, 'personal', userId, slot);
      };
      const { fragment } = await this.#m.computing.run(req, 'personal', userId, slot, how).promise;
      if (fragment.v >= event.id) return fragment;
    }
    return this.refreshPersonal(req, userId, event.id, event);
  }

  async refreshShared(req: CacheRequest): Promise<Fragment> {
    const state = await this.purgeState(req.env);
    return (await this.#m.computing.run(req, 'shared', '*', state ? sharedSlot(state) : undefined).promise).fragment;
  }

  async #resolve(
    req: CacheRequest,
    kind: 'personal' | 'shared',
    userId: string,
    slot: Slot | undefined,
    min: number,
    freshMs: number,
  ): Promise<FragmentOutcome> {
    const now = req.now ?? Date.now();
    if (slot) {
      // The common case first, without building a lookup: a fresh, new-enough copy here.
      const hit = fresh(this.#m.isolate.get(slot), kind, freshMs, min, now);
      if (hit) {
        this.#counts.lookup('isolate', 'hit');
        return hit;
      }
    }
    const out: FragmentOutcome = {
      kind,
      fragment: null,
      layer: 'none',
      result: 'miss',
      degraded: [],
      ms: {},
      ageMs: 0,
      freshMs,
      coalesced: false,
    };
    let lastGood: { fragment: Fragment; layer: Layer } | undefined;
    const consider = (f: Fragment | null | undefined, layer: Layer) => {
      if (f && (!lastGood || f.v > lastGood.fragment.v || (f.v === lastGood.fragment.v && f.at > lastGood.fragment.at))) {
        lastGood = { fragment: f, layer };
      }
    };
    const serve = (f: Fragment, layer: Layer): FragmentOutcome | undefined => {
      const age = now - f.at;
      if (age < freshMs) return Object.assign(out, { fragment: f, layer, result: 'hit', ageMs: age });
      if (age < freshMs + this.config.staleWhileRevalidateMs) {
        // Stale-while-revalidate: this request gets the copy now, the refresh runs after it.
        req.waitUntil(this.#m.computing.run(req, kind, userId, slot).promise.catch(() => undefined));
        return Object.assign(out, { fragment: f, layer, result: 'stale', ageMs: age });
      }
      return undefined;
    };

    if (slot) {
      const started = performance.now();
      const inMemory = this.#m.isolate.get(slot);
      out.ms.isolate = performance.now() - started;
      const served = inMemory && inMemory.v >= min ? serve(inMemory, 'isolate') : undefined;
      if (served) {
        this.#counts.lookup('isolate', served.result === 'hit' ? 'hit' : 'stale');
        return served;
      }
      consider(inMemory, 'isolate');
      this.#counts.lookup('isolate', 'miss');

      const kvStarted = performance.now();
      let found: (Fragment | null)[] = [];
      try {
        found = await this.#m.kv.get(slot, min, req.env);
      } catch (err) {
        log.error('kv read failed', { error: errorMessage(err) });
      }
      out.ms.kv = performance.now() - kvStarted;
      let best: Fragment | undefined;
      for (const f of found) {
        consider(f, 'kv');
        if (f && f.v >= min && (!best || f.at > best.at)) best = f;
      }
      const fromKv = best && serve(best, 'kv');
      if (best && fromKv) {
        this.#m.isolate.put(slot, best);
        this.#counts.lookup('kv', fromKv.result === 'hit' ? 'hit' : 'stale');
        return fromKv;
      }
      this.#counts.lookup('kv', 'miss');
      // While KV answered, a computation in this isolate (a write's write-through, another
      // request) may have finished: take its result rather than compute the same thing again.
      const meanwhile = this.#m.isolate.get(slot);
      if (meanwhile && meanwhile !== inMemory && meanwhile.v >= min && now - meanwhile.at < freshMs) {
        this.#counts.count((c) => c.coalesced++);
        return Object.assign(out, { fragment: meanwhile, layer: 'isolate', result: 'hit', ageMs: now - meanwhile.at, coalesced: true });
      }
    }

    const d1Started = performance.now();
    const { promise, joined, startedAt } = this.#m.computing.run(req, kind, userId, slot);
    out.coalesced = joined;
    if (joined) this.#counts.count((c) => c.coalesced++);
    const sections = sectionsOf(kind);
    try {
      let computed = await withBudget(promise, this.config.budgetMs, req.waitUntil);
      // Only a joined computation that started before this request may predate the write it
      // must see; one started since read D1 as it is now, so a version still missing from it
      // was never written (a forged or stale hint) and computing again would change nothing.
      if (joined && startedAt < now && computed.fragment.v < min) {
        // Joined a computation that started before the write this request must see.
        computed = await withBudget(this.#m.computing.compute(req, kind, userId, slot), this.config.budgetMs, req.waitUntil);
      }
      out.ms.d1 = performance.now() - d1Started;
      Object.assign(out, { fragment: computed.fragment, layer: 'd1', result: 'miss', ageMs: now - computed.fragment.at });
      if (computed.failed.length > 0) {
        // Sections that failed inside a good batch: patch them from the last good copy.
        const patched: Partial<SectionData> = { ...computed.fragment.s };
        for (const name of computed.failed) {
          const old = lastGood?.fragment.s[name];
          if (old !== undefined) (patched as Record<string, unknown>)[name] = old;
        }
        out.fragment = { ...computed.fragment, s: patched };
        out.degraded = [...computed.failed];
        out.result = 'degraded';
        this.#counts.count((c) => (c.degraded += computed.failed.length));
      }
      return out;
    } catch (err) {
      // A missing user is an answer (404), not an outage; anything else the source throws is.
      if (err instanceof ProblemError) throw err;
      if (err instanceof BudgetExceeded) this.#counts.count((c) => c.d1.timeouts++);
      else if (!(err instanceof SourceFailed))
        this.#m.errors.record(userId, Object.fromEntries(sections.map((n) => [n, asError(err)])), now);
      out.ms.d1 = performance.now() - d1Started;
      this.#m.errors.mark(userId, sections, err, now);
      out.degraded = [...sections];
      out.result = 'degraded';
      this.#counts.count((c) => (c.degraded += sections.length));
      if (lastGood) Object.assign(out, { fragment: lastGood.fragment, layer: lastGood.layer, ageMs: now - lastGood.fragment.at });
      return out;
    }
  }

  lastError(errorKey: string, section: keyof SectionData): { at: number; reason: string } | undefined {
    return this.#m.errors.last(errorKey, section);
  }

  inMemory(state: PurgeState, userId: string): { personal?: Fragment; shared?: Fragment } {
    return { personal: this.#m.isolate.peek(personalSlot(state, userId)), shared: this.#m.isolate.peek(sharedSlot(state)) };
  }

  /** Forgets everything held in this isolate (tests simulate a fresh isolate with it). */
  reset(): void {
    this.#m.isolate.clear();
    this.#m.versions.clear();
    this.#m.errors.clear();
    this.#m.kv.clear();
    this.#m.purges.reset();
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** The isolate's cache: module scope, so every request this isolate serves shares it. */
export const fragmentCache = new FragmentCache();
