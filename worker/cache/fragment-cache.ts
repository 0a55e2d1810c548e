import type { SyncResult } from '../../durable-objects/cache-coordinator';
import { createDb } from '../db/client';
import { ProblemError } from '../errors';
import { metrics } from '../observability/metrics';
import type { SectionData, SectionName } from '../sections';
import { loadSectionsFromD1 } from '../services/load-sections';
import { settledWithin, withTimeout } from '../time-limit';
import { addCounters, type CacheCounters, emptyCounters, isEmpty } from './counters';
import { KvBatchReader } from './kv-batch-reader';
import { Lru } from './lru';
import {
  KV_FRAGMENT_TTL_SECONDS,
  mergePurgeState,
  PERSONAL_SECTIONS,
  type PurgeScope,
  type PurgeState,
  personalEpoch,
  SHARED_SECTIONS,
  sharedEpoch,
} from './purge-state';

/** One cached fragment: some sections' data as D1 gave it at one moment. */
export interface Fragment {
  /** Personal: the user's version (id of their newest activity event) the data includes. Shared: 0. */
  v: number;
  /** Epoch ms the data was read from D1. */
  at: number;
  /** Short content hash; the page's strong ETag is built from these. */
  h: string;
  s: Partial<SectionData>;
}

export type Layer = 'isolate' | 'kv' | 'd1' | 'none';

/** How one fragment was obtained for one request. */
export interface FragmentOutcome {
  kind: 'personal' | 'shared';
  fragment: Fragment | null;
  /** The layer whose copy is served ('none': nothing to serve). */
  layer: Layer;
  /** hit: fresh copy; stale: older than its TTL, served while a refresh runs; miss: computed now; degraded: source failed. */
  result: 'hit' | 'stale' | 'miss' | 'degraded';
  /** Sections whose source failed: served from a last good copy, or missing from `fragment`. */
  degraded: SectionName[];
  /** Wall time spent in each layer, ms. */
  ms: Partial<Record<'isolate' | 'kv' | 'd1', number>>;
  /** Age of the copy served, ms, and how long it was meant to stay fresh. */
  ageMs: number;
  freshMs: number;
  coalesced: boolean;
}

export interface CacheConfig {
  /** Personal bundles kept in the isolate (one per user). */
  isolateEntries: number;
  /** Personal fragments: fresh for this long. Bounds how late time-driven changes (a task falling overdue) and other people's changes show. */
  personalFreshMs: number;
  /** The shared fragment: fresh for this long, then refreshed in the background. */
  sharedFreshMs: number;
  /** Past its TTL a copy is still served (and refreshed in the background) for this long. */
  staleWhileRevalidateMs: number;
  /** A section source slower than this is treated as failed for this request (its result still lands in the cache). */
  budgetMs: number;
  /** How stale an isolate's copy of the purge generations may get; a purge waits this long before it answers. */
  syncMs: number;
  /** false: every page is computed from D1 and nothing is stored (figures tests, diagnostics). */
  enabled: boolean;
}

export const DEFAULT_CACHE_CONFIG: CacheConfig = {
  isolateEntries: 5000,
  // The user's own writes never wait for this (the version token does); it bounds only
  // time-driven changes and changes by others. Each expiry costs a D1 batch per user, so a
  // short TTL over many users is a steady background load on D1.
  personalFreshMs: 5 * 60_000,
  sharedFreshMs: 60_000,
  staleWhileRevalidateMs: 10 * 60_000,
  budgetMs: 1500,
  syncMs: 1000,
  enabled: true,
};

export type WaitUntil = (promise: Promise<unknown>) => void;

/** What one request brings: its bindings and a way to keep background work alive. */
export interface CacheRequest {
  env: Env;
  waitUntil: WaitUntil;
  now?: number;
}

/** One write per key per second is KV's rate; the margin absorbs timer and clock granularity. */
const KV_KEY_WRITE_INTERVAL_MS = 1100;

class BudgetExceeded extends Error {}

/** Reasons shown on the health route: never the driver's message (it may carry SQL). */
function reasonOf(err: unknown, budgetMs: number): string {
  if (err instanceof BudgetExceeded) return `source exceeded the ${budgetMs} ms time budget`;
  return 'source failed (D1 returned an error)';
}

async function contentHash(at: number, sections: Partial<SectionData>): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify([at, sections]));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  let hex = '';
  for (let i = 0; i < 8; i++) hex += (digest[i] as number).toString(16).padStart(2, '0');
  return hex;
}

export function kvKeys(epoch: number) {
  return {
    version: (userId: string, v: number) => `frag:e${epoch}:user:${userId}:v${v}`,
    latest: (userId: string) => `frag:e${epoch}:user:${userId}:latest`,
    shared: () => `frag:e${epoch}:shared`,
  };
}

interface Computed {
  fragment: Fragment;
  /** Sections whose source failed inside an otherwise good computation. */
  failed: SectionName[];
}

/**
 * The in-isolate layer and everything around it: one instance per isolate (module scope), so
 * its LRU, its in-flight computations and its copy of the purge generations are shared by
 * every request the isolate serves. Read `docs/architecture.md#cache` first.
 */
export class FragmentCache {
  readonly config: CacheConfig;
  readonly #personal: Lru<string, Fragment>;
  readonly #shared = new Lru<number, Fragment>(4);
  /** Highest version of each user this isolate has seen written (read-your-writes, same isolate). */
  readonly #versions: Lru<string, number>;
  readonly #inflight = new Map<string, { promise: Promise<Computed>; startedAt: number }>();
  readonly #errors = new Lru<string, { at: number; reason: string }>(2000);
  readonly #recentPuts = new Map<string, { at: number; pending?: Fragment }>();
  readonly #kv = new KvBatchReader();
  #state: PurgeState | undefined;
  #stateAt = 0;
  #syncing: Promise<void> | undefined;
  #syncStartedAt = 0;
  #pending: CacheCounters = emptyCounters();
  readonly totals: CacheCounters = emptyCounters();
  readonly startedAt = Date.now();

  constructor(config: Partial<CacheConfig> = {}) {
    this.config = { ...DEFAULT_CACHE_CONFIG, ...config };
    this.#personal = new Lru(this.config.isolateEntries);
    this.#versions = new Lru(this.config.isolateEntries * 2);
  }

  /** Counted here but not yet reported to the coordinator. */
  get unreported(): CacheCounters {
    return structuredClone(this.#pending);
  }

  get isolateEntries(): number {
    return this.#personal.size + this.#shared.size;
  }

  /** One lookup in a layer: counted here (for /admin/cache) and in the worker's metrics (for /metrics). */
  #lookup(layer: 'isolate' | 'kv', result: 'hit' | 'stale' | 'miss'): void {
    this.#count((c) => c[layer][result]++);
    metrics.cacheLookup(layer, result);
  }

  #count(f: (c: CacheCounters) => void): void {
    f(this.#pending);
    f(this.totals);
  }

  // ------------------------------------------------------------------ purge generations

  /**
   * Makes sure this isolate's copy of the purge generations is at most `syncMs` old, and
   * reports its counters on the way. Returns undefined when the coordinator has never been
   * reached: then nothing may be read from or written to the cache, because a purge this
   * isolate has not heard of might cover it.
   */
  async purgeState(env: Env, now = Date.now()): Promise<PurgeState | undefined> {
    if (!this.config.enabled) return undefined;
    if (this.#state && now - this.#stateAt < this.config.syncMs) return this.#state;
    // One sync at a time, shared by the requests that need it meanwhile. It belongs to the
    // request that started it: if that request is cancelled (its client went away), the
    // runtime drops its I/O and the promise never settles. So a sync older than its time
    // limit is abandoned for a new one, and nobody waits on one longer than that limit:
    // a request that gives up keeps serving with the copy it has, as after a failed sync.
    if (!this.#syncing || now - this.#syncStartedAt > SYNC_TIMEOUT_MS) {
      const sync = this.#sync(env).finally(() => {
        if (this.#syncing === sync) this.#syncing = undefined;
      });
      this.#syncing = sync;
      this.#syncStartedAt = now;
    }
    await settledWithin(this.#syncing, SYNC_TIMEOUT_MS);
    return this.#state;
  }

  async #sync(env: Env): Promise<void> {
    // Taken before the call: the answer reflects every purge the object finished before it,
    // so the copy is trustworthy for syncMs from here, never from when the answer came back.
    const askedAt = Date.now();
    const increments = isEmpty(this.#pending) ? null : this.#pending;
    this.#pending = emptyCounters();
    try {
      const stub = coordinator(env);
      const result: SyncResult = await stub.sync(this.#state?.seq ?? 0, increments);
      this.#state = mergePurgeState(this.#state ?? result.state, result.state, result.full || !this.#state);
      this.#stateAt = askedAt;
    } catch (err) {
      if (increments) addCounters(this.#pending, increments);
      // Keep serving with the copy we have (a purge needs the coordinator too, so none can
      // have completed through it while it is unreachable from everywhere); retry in a second.
      this.#stateAt = this.#state ? askedAt - this.config.syncMs + 1000 : 0;
      console.error(JSON.stringify({ level: 'error', msg: 'cache coordinator sync failed', error: String(err) }));
    }
  }

  /** Purges through the coordinator, then waits until no isolate can still hold the old generations. */
  async purge(env: Env, scope: PurgeScope): Promise<{ seq: number; covers: string; state: PurgeState; effectiveAt: number }> {
    const result = await coordinator(env).purge(scope);
    // This isolate knows at once; every other one re-syncs within syncMs of its last sync.
    this.#state = result.state;
    this.#stateAt = Date.now();
    await scheduler.wait(this.config.syncMs + 50);
    return { ...result, effectiveAt: Date.now() };
  }

  // ------------------------------------------------------------------ versions

  /** Records a version this isolate saw committed for a user (a write it handled). */
  noteVersion(userId: string, version: number): void {
    if ((this.#versions.peek(userId) ?? 0) < version) this.#versions.set(userId, version);
  }

  knownVersion(userId: string): number {
    return this.#versions.peek(userId) ?? 0;
  }

  // ------------------------------------------------------------------ lookups

  /** A user's personal bundle with at least `minVersion` (see docs/architecture.md#cache). */
  async personal(req: CacheRequest, state: PurgeState | undefined, userId: string, minVersion: number): Promise<FragmentOutcome> {
    const min = Math.max(minVersion, this.knownVersion(userId));
    const epoch = state ? personalEpoch(state, userId) : undefined;
    if (epoch !== undefined) {
      const hit = this.#freshInIsolate(req, this.#personal.get(`${epoch}|${userId}`), 'personal', this.config.personalFreshMs, min);
      if (hit) return hit;
    }
    const keys = epoch === undefined ? undefined : kvKeys(epoch);
    return this.#resolve(req, {
      kind: 'personal',
      cacheable: epoch !== undefined,
      memKey: `${epoch}|${userId}`,
      mem: this.#personal,
      kvKeys: keys ? (min > 0 ? [keys.version(userId, min), keys.latest(userId)] : [keys.latest(userId)]) : [],
      accept: (f) => f.v >= min,
      freshMs: this.config.personalFreshMs,
      computeKey: `p|${epoch}|${userId}`,
      compute: () => this.#computePersonal(req, userId, epoch),
      errorKey: userId,
      sections: PERSONAL_SECTIONS,
    });
  }

  /** The fragment every user shares. */
  async shared(req: CacheRequest, state: PurgeState | undefined): Promise<FragmentOutcome> {
    const epoch = state ? sharedEpoch(state) : undefined;
    if (epoch !== undefined) {
      const hit = this.#freshInIsolate(req, this.#shared.get(epoch), 'shared', this.config.sharedFreshMs, 0);
      if (hit) return hit;
    }
    return this.#resolve(req, {
      kind: 'shared',
      cacheable: epoch !== undefined,
      memKey: epoch ?? -1,
      mem: this.#shared,
      kvKeys: epoch === undefined ? [] : [kvKeys(epoch).shared()],
      accept: () => true,
      freshMs: this.config.sharedFreshMs,
      computeKey: `s|${epoch}`,
      compute: () => this.#computeShared(req, epoch),
      errorKey: '*',
      sections: SHARED_SECTIONS,
    });
  }

  /**
   * The common case first, without building a lookup: this isolate holds a fresh, new-enough
   * copy. Anything else (stale, too old a version, absent) takes the full path in #resolve,
   * which looks at the same entry again.
   */
  #freshInIsolate(
    req: CacheRequest,
    fragment: Fragment | undefined,
    kind: FragmentOutcome['kind'],
    freshMs: number,
    minVersion: number,
    count = true,
  ): FragmentOutcome | undefined {
    if (!fragment || fragment.v < minVersion) return undefined;
    const ageMs = (req.now ?? Date.now()) - fragment.at;
    if (ageMs >= freshMs) return undefined;
    if (count) this.#lookup('isolate', 'hit');
    return { kind, fragment, layer: 'isolate', result: 'hit', degraded: [], ms: { isolate: 0 }, ageMs, freshMs, coalesced: false };
  }

  /** This isolate's purge generations if they may be used without a sync now; else undefined. */
  currentPurgeState(now = Date.now()): PurgeState | undefined {
    if (!this.config.enabled || !this.#state || now - this.#stateAt >= this.config.syncMs) return undefined;
    return this.#state;
  }

  /**
   * Both fragments of a user's page when this isolate holds fresh, new-enough copies of both
   * (no I/O, counted as two isolate hits); else undefined, and nothing is counted: the caller
   * takes the full path, which counts what it finds.
   */
  pageFromIsolate(
    req: CacheRequest,
    state: PurgeState,
    userId: string,
    minVersion: number,
  ): [FragmentOutcome, FragmentOutcome] | undefined {
    const min = Math.max(minVersion, this.knownVersion(userId));
    const personalKey = `${personalEpoch(state, userId)}|${userId}`;
    const personal = this.#freshInIsolate(req, this.#personal.get(personalKey), 'personal', this.config.personalFreshMs, min, false);
    const shared =
      personal && this.#freshInIsolate(req, this.#shared.get(sharedEpoch(state)), 'shared', this.config.sharedFreshMs, 0, false);
    if (!personal || !shared) return undefined;
    this.#lookup('isolate', 'hit');
    this.#lookup('isolate', 'hit');
    return [personal, shared];
  }

  /** Computes a user's bundle now and stores it (after their write, or when an operator warms it). */
  async refreshPersonal(req: CacheRequest, userId: string, minVersion = 0): Promise<Fragment> {
    const state = await this.purgeState(req.env);
    const epoch = state ? personalEpoch(state, userId) : undefined;
    let { fragment } = await this.#coalesce(`p|${epoch}|${userId}`, () => this.#computePersonal(req, userId, epoch)).promise;
    if (fragment.v < minVersion) ({ fragment } = await this.#computePersonal(req, userId, epoch));
    return fragment;
  }

  async refreshShared(req: CacheRequest): Promise<Fragment> {
    const state = await this.purgeState(req.env);
    const epoch = state ? sharedEpoch(state) : undefined;
    return (await this.#coalesce(`s|${epoch}`, () => this.#computeShared(req, epoch)).promise).fragment;
  }

  async #resolve<K>(
    req: CacheRequest,
    spec: {
      kind: 'personal' | 'shared';
      cacheable: boolean;
      memKey: K;
      mem: Lru<K, Fragment>;
      kvKeys: string[];
      accept: (f: Fragment) => boolean;
      freshMs: number;
      computeKey: string;
      compute: () => Promise<Computed>;
      errorKey: string;
      sections: readonly SectionName[];
    },
  ): Promise<FragmentOutcome> {
    const now = req.now ?? Date.now();
    const { staleWhileRevalidateMs } = this.config;
    const out: FragmentOutcome = {
      kind: spec.kind,
      fragment: null,
      layer: 'none',
      result: 'miss',
      degraded: [],
      ms: {},
      ageMs: 0,
      freshMs: spec.freshMs,
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
      if (age < spec.freshMs) return Object.assign(out, { fragment: f, layer, result: 'hit', ageMs: age });
      if (age < spec.freshMs + staleWhileRevalidateMs) {
        // Stale-while-revalidate: this request gets the copy now, the refresh runs after it.
        req.waitUntil(this.#coalesce(spec.computeKey, spec.compute).promise.catch(() => undefined));
        return Object.assign(out, { fragment: f, layer, result: 'stale', ageMs: age });
      }
      return undefined;
    };

    if (spec.cacheable) {
      const started = performance.now();
      const inMemory = spec.mem.get(spec.memKey);
      out.ms.isolate = performance.now() - started;
      if (inMemory && spec.accept(inMemory)) {
        const served = serve(inMemory, 'isolate');
        if (served) {
          this.#lookup('isolate', served.result === 'hit' ? 'hit' : 'stale');
          return served;
        }
      }
      consider(inMemory, 'isolate');
      this.#lookup('isolate', 'miss');

      const kvStarted = performance.now();
      let found: (Fragment | null)[] = [];
      try {
        // Bounded: a batch may have been started by another request, which can be cancelled.
        found = await withTimeout(
          this.#kv.load(req.env.CACHE, spec.kvKeys),
          KV_TIMEOUT_MS,
          () => new Error(`KV did not answer within ${KV_TIMEOUT_MS} ms`),
        );
      } catch (err) {
        console.error(JSON.stringify({ level: 'error', msg: 'kv read failed', error: String(err) }));
      }
      out.ms.kv = performance.now() - kvStarted;
      let best: Fragment | undefined;
      for (const f of found) {
        consider(f, 'kv');
        if (f && spec.accept(f) && (!best || f.at > best.at)) best = f;
      }
      if (best) {
        const served = serve(best, 'kv');
        if (served) {
          spec.mem.set(spec.memKey, best);
          this.#lookup('kv', served.result === 'hit' ? 'hit' : 'stale');
          return served;
        }
      }
      this.#lookup('kv', 'miss');
      // While KV answered, a computation in this isolate (a write's write-through, another
      // request) may have finished: take its result rather than compute the same thing again.
      const meanwhile = spec.mem.get(spec.memKey);
      if (meanwhile && meanwhile !== inMemory && spec.accept(meanwhile) && now - meanwhile.at < spec.freshMs) {
        this.#count((c) => c.coalesced++);
        return Object.assign(out, { fragment: meanwhile, layer: 'isolate', result: 'hit', ageMs: now - meanwhile.at, coalesced: true });
      }
    }

    const d1Started = performance.now();
    const { promise, joined, startedAt } = this.#coalesce(spec.computeKey, spec.compute);
    out.coalesced = joined;
    if (joined) this.#count((c) => c.coalesced++);
    try {
      let computed = await withBudget(promise, this.config.budgetMs, req.waitUntil);
      // Only a joined computation that started before this request may predate the write it
      // must see; one started since read D1 as it is now, so a version still missing from it
      // was never written (a forged or stale hint) and computing again would change nothing.
      if (joined && startedAt < now && !spec.accept(computed.fragment)) {
        // Joined a computation that started before the write this request must see.
        computed = await withBudget(spec.compute(), this.config.budgetMs, req.waitUntil);
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
        this.#count((c) => (c.degraded += computed.failed.length));
      }
      return out;
    } catch (err) {
      // A missing user is an answer (404), not an outage; anything else the source throws is.
      if (err instanceof ProblemError) throw err;
      if (err instanceof BudgetExceeded) this.#count((c) => c.d1.timeouts++);
      else if (!(err instanceof SourceFailed))
        this.#recordErrors(spec.errorKey, Object.fromEntries(spec.sections.map((n) => [n, asError(err)])), now);
      out.ms.d1 = performance.now() - d1Started;
      const reason = reasonOf(err, this.config.budgetMs);
      for (const name of spec.sections) this.#errors.set(`${spec.errorKey}/${name}`, { at: now, reason });
      out.degraded = [...spec.sections];
      out.result = 'degraded';
      this.#count((c) => (c.degraded += spec.sections.length));
      if (lastGood) Object.assign(out, { fragment: lastGood.fragment, layer: lastGood.layer, ageMs: now - lastGood.fragment.at });
      return out;
    }
  }

  #coalesce(key: string, compute: () => Promise<Computed>): { promise: Promise<Computed>; joined: boolean; startedAt: number } {
    const running = this.#inflight.get(key);
    // A computation older than its budget may belong to a cancelled request whose promise will
    // never settle (see purgeState): start afresh instead of joining it forever.
    if (running && Date.now() - running.startedAt <= this.config.budgetMs) return { ...running, joined: true };
    const promise = compute().finally(() => {
      if (this.#inflight.get(key)?.promise === promise) this.#inflight.delete(key);
    });
    const startedAt = Date.now();
    this.#inflight.set(key, { promise, startedAt });
    return { promise, joined: false, startedAt };
  }

  async #computePersonal(req: CacheRequest, userId: string, epoch: number | undefined): Promise<Computed> {
    const now = req.now ?? Date.now();
    this.#count((c) => c.d1.computes++);
    const loaded = await loadSectionsFromD1(createDb(req.env.DB), PERSONAL_SECTIONS, { userId, now });
    const failed = PERSONAL_SECTIONS.filter((n) => loaded.errors[n] || loaded.data[n] === undefined);
    this.#recordErrors(userId, loaded.errors, now);
    if (failed.length === PERSONAL_SECTIONS.length) throw new SourceFailed();
    const version = loaded.data.activityFeed?.events[0]?.id ?? 0;
    const fragment: Fragment = { v: version, at: now, h: await contentHash(now, loaded.data), s: loaded.data };
    if (failed.length === 0 && epoch !== undefined) {
      this.noteVersion(userId, version);
      const memKey = `${epoch}|${userId}`;
      const current = this.#personal.peek(memKey);
      if (!current || current.v < version || (current.v === version && current.at <= now)) this.#personal.set(memKey, fragment);
      const keys = kvKeys(epoch);
      this.#putThrottled(req, keys.version(userId, version), fragment);
      this.#putThrottled(req, keys.latest(userId), fragment);
    }
    return { fragment, failed };
  }

  async #computeShared(req: CacheRequest, epoch: number | undefined): Promise<Computed> {
    const now = req.now ?? Date.now();
    this.#count((c) => c.d1.computes++);
    const loaded = await loadSectionsFromD1(createDb(req.env.DB), SHARED_SECTIONS, { userId: '*', now, timeZone: 'UTC' });
    const failed = SHARED_SECTIONS.filter((n) => loaded.errors[n] || loaded.data[n] === undefined);
    this.#recordErrors('*', loaded.errors, now);
    if (failed.length === SHARED_SECTIONS.length) throw new SourceFailed();
    const fragment: Fragment = { v: 0, at: now, h: await contentHash(now, loaded.data), s: loaded.data };
    if (failed.length === 0 && epoch !== undefined) {
      this.#shared.set(epoch, fragment);
      this.#putThrottled(req, kvKeys(epoch).shared(), fragment);
    }
    return { fragment, failed };
  }

  #recordErrors(errorKey: string, errors: Partial<Record<SectionName, Error>>, now: number): void {
    for (const [name, err] of Object.entries(errors)) {
      this.#count((c) => c.d1.failures++);
      this.#errors.set(`${errorKey}/${name}`, { at: now, reason: reasonOf(err, this.config.budgetMs) });
      console.error(JSON.stringify({ level: 'error', msg: 'section source failed', section: name, key: errorKey, error: err.message }));
    }
  }

  async #put(env: Env, key: string, fragment: Fragment): Promise<void> {
    try {
      await env.CACHE.put(key, JSON.stringify(fragment), { expirationTtl: KV_FRAGMENT_TTL_SECONDS });
    } catch (err) {
      // KV is a copy; D1 stays the source of truth. A 429 here (two isolates writing one key
      // within a second) costs a later miss, never a wrong answer.
      console.error(JSON.stringify({ level: 'warn', msg: 'kv write failed', key, error: String(err) }));
    }
  }

  /**
   * KV takes about one write per second per key (https://developers.cloudflare.com/kv/platform/limits/),
   * and the `latest` and shared keys are written again whenever their data changes; so this
   * isolate writes any one key at most once a second. A write that comes too soon is deferred
   * and only the newest value goes out.
   */
  #putThrottled(req: CacheRequest, key: string, fragment: Fragment): void {
    const entry = this.#recentPuts.get(key);
    const now = Date.now();
    if (!entry || now - entry.at >= KV_KEY_WRITE_INTERVAL_MS) {
      this.#recentPuts.set(key, { at: now });
      if (this.#recentPuts.size > 10_000) this.#recentPuts.delete(this.#recentPuts.keys().next().value as string);
      req.waitUntil(this.#put(req.env, key, fragment));
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
        await this.#put(req.env, key, pending);
      })(),
    );
  }

  // ------------------------------------------------------------------ inspection

  lastError(errorKey: string, section: SectionName): { at: number; reason: string } | undefined {
    return this.#errors.peek(`${errorKey}/${section}`);
  }

  inMemory(state: PurgeState, userId: string): { personal?: Fragment; shared?: Fragment } {
    return { personal: this.#personal.peek(`${personalEpoch(state, userId)}|${userId}`), shared: this.#shared.peek(sharedEpoch(state)) };
  }

  /** Forgets everything held in this isolate (tests simulate a fresh isolate with it). */
  reset(): void {
    this.#personal.clear();
    this.#shared.clear();
    this.#versions.clear();
    this.#errors.clear();
    this.#recentPuts.clear();
    this.#state = undefined;
    this.#stateAt = 0;
  }
}

class SourceFailed extends Error {}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function coordinator(env: Env) {
  return env.CACHE_COORDINATOR.get(env.CACHE_COORDINATOR.idFromName('global'));
}

/**
 * How long a request waits for a purge-generation sync (its own or one it joined) before it
 * goes on with the copy it has; also when a running sync counts as lost and is started again.
 */
const SYNC_TIMEOUT_MS = 1000;

/** A KV read slower than this counts as failed: the page goes on to D1 (or its last good copy). */
const KV_TIMEOUT_MS = 1000;

/** Races a source against the time budget; a late result still finishes (and fills the cache) via waitUntil. */
async function withBudget<T>(promise: Promise<T>, budgetMs: number, waitUntil: WaitUntil): Promise<T> {
  try {
    return await withTimeout(promise, budgetMs, () => new BudgetExceeded());
  } catch (err) {
    if (err instanceof BudgetExceeded) waitUntil(promise.catch(() => undefined));
    throw err;
  }
}

/** The isolate's cache: module scope, so every request this isolate serves shares it. */
export const fragmentCache = new FragmentCache();
