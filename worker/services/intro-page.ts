import {
  capVersionHint,
  type Fragment,
  type FragmentCache,
  type FragmentOutcome,
  fragmentCache,
  noteServedVersion,
  type WaitUntil,
} from '../cache';
import { type Evaluation, evaluateAll } from '../flags/evaluate';
import { flagSnapshots } from '../flags/snapshot-store';
import { type RequestHeaders, readPosition, versionHint } from '../http/version-token';
import { metrics } from '../observability/metrics';
import { type IntroPage, SECTION_NAMES, type SectionData, type SectionName } from '../sections';

export interface PageTiming {
  /** A Server-Timing metric name: a layer (`coord`, `isolate`, `kv`, `d1`) or a section. */
  name: string;
  ms: number;
  description: string;
}

export interface AssembledPage {
  /** Shared with other requests that assemble from the same fragments: read it, never change it. */
  page: Readonly<IntroPage>;
  /** The page as JSON in UTF-8, made once per set of fragments (an isolate hit reuses it): what the JSON route sends. */
  jsonBytes(): Uint8Array<ArrayBuffer>;
  /** Strong validator of the JSON page (RFC 9110 §8.8.3), quoted. Same fragments → same ETag. */
  etag: string;
  /** RFC 9211 Cache-Status value naming the layer that answered. */
  cacheStatus: string;
  /** Shared with other requests served from the same view: read it, never change it. */
  timings: readonly PageTiming[];
}

export interface IntroPageInput {
  env: Env;
  waitUntil: WaitUntil;
  userId: string;
  /** The newest version of this user the caller has seen written (read-your-writes token). */
  minVersion?: number;
  /** Where a D1 read of this user's data starts (the token's bookmark; see CacheRequest.bookmark). */
  bookmark?: string;
  now?: number;
}

/** Builds the input from a request (JSON route or HTML page): its bindings, its waitUntil and its version token. */
export function introPageInput(
  c: RequestHeaders & { env: Env; executionCtx: { waitUntil(promise: Promise<unknown>): void } },
  userId: string,
): IntroPageInput {
  const minVersion = capVersionHint(userId, versionHint(c, userId));
  const bookmark = readPosition(c, userId, minVersion);
  return { env: c.env, waitUntil: (p) => c.executionCtx.waitUntil(p), userId, minVersion, ...(bookmark ? { bookmark } : {}) };
}

/**
 * Assembles a user's intro page from cached fragments: the shared one (system overview) and
 * the user's personal bundle, each from the isolate, else KV, else D1 (docs/architecture.md#cache).
 * A section whose source fails is served from its last good copy, or as `null`, and is listed
 * in `degraded`; the page itself is always whole and valid against the contract's schema.
 * The JSON route and the HTML page both call this; it is the only way a page is built.
 *
 * @example
 * const { page, etag } = await assembleIntroPage(introPageInput(c, 'alice'));
 */
export async function assembleIntroPage(input: IntroPageInput, cache: FragmentCache = fragmentCache): Promise<AssembledPage> {
  const req = { env: input.env, waitUntil: input.waitUntil, now: input.now, bookmark: input.bookmark };
  const syncStarted = performance.now();
  const state = await cache.purgeState(input.env, input.now, input.waitUntil);
  const coordMs = performance.now() - syncStarted;
  const [personal, shared, flags] = await Promise.all([
    cache.personal(req, state, input.userId, input.minVersion ?? 0),
    cache.shared(req, state),
    flagSnapshots.get(input.env, input.waitUntil, input.now),
  ]);
  noteServedVersion(input.userId, input.minVersion ?? 0, personal);
  return finish(input, coordMs, personal, shared, evaluateAll(flags, input.userId));
}

/**
 * The page without waiting for anything, when this isolate holds everything it needs: fresh
 * purge generations and fresh copies of both fragments. Else undefined, and the caller awaits
 * `assembleIntroPage`. The warm path of both the JSON route and GET / (which then sends the
 * page whole, as there is no slow section to stream past).
 */
export function assembleFromIsolate(input: IntroPageInput, cache: FragmentCache = fragmentCache): AssembledPage | undefined {
  const state = cache.currentPurgeState(input.now, input);
  if (!state) return undefined;
  const req = { env: input.env, waitUntil: input.waitUntil, now: input.now };
  // The flag snapshot is an isolate copy too (worker/flags/snapshot-store.ts): no I/O here either.
  const flags = flagSnapshots.peek(input.env, input.waitUntil, input.now);
  if (!flags) return undefined;
  const found = cache.pageFromIsolate(req, state, input.userId, input.minVersion ?? 0);
  return found ? finish(input, 0, found[0], found[1], evaluateAll(flags, input.userId), true) : undefined;
}

function finish(
  input: IntroPageInput,
  coordMs: number,
  personal: FragmentOutcome,
  shared: FragmentOutcome,
  flags: Evaluation,
  /** Both fragments are isolate hits found with no wait: the timings depend only on the view's fragments. */
  fromIsolate = false,
): AssembledPage {
  const degraded = new Set<SectionName>([...shared.degraded, ...personal.degraded]);
  for (const name of SECTION_NAMES) {
    if ((personal.fragment?.s[name] ?? shared.fragment?.s[name]) === undefined) degraded.add(name);
  }
  const degradedList = SECTION_NAMES.filter((n) => degraded.has(n));
  const etag = `"${personal.fragment?.h ?? '0'}-${shared.fragment?.h ?? '0'}-${degradedList.map((n) => SECTION_NAMES.indexOf(n)).join('')}${flags.tag ? `-${flags.tag}` : ''}"`;
  const view = renderedView(input, personal.fragment, shared.fragment, degradedList, etag, flags);
  for (const name of SECTION_NAMES) {
    metrics.sectionServed(name, !degraded.has(name) ? 'fresh' : view.page.sections[name] === null ? 'missing' : 'stale');
  }
  return {
    page: view.page,
    jsonBytes: () => {
      // The bytes are the one serialised form kept: the string they are made from is garbage at once.
      view.bytes ??= utf8.encode(JSON.stringify(view.page));
      return view.bytes;
    },
    etag,
    cacheStatus: cacheStatus([personal, shared]),
    timings: fromIsolate ? isolateTimings(view, personal, shared) : timings(coordMs, [personal, shared]),
  };
}

interface RenderedView {
  userId: string;
  shared: Fragment | null;
  etag: string;
  page: IntroPage;
  bytes?: Uint8Array<ArrayBuffer>;
  /** Server-Timing of this view served from the isolate with no wait (shared: read it, never change it). */
  isolateTimings?: readonly PageTiming[];
}

const utf8 = new TextEncoder();

/**
 * Pages already built, by the personal fragment they came from. A warm page is the same two
 * fragments again and again; building the object and serialising it each time was a good part
 * of a warm request's CPU. Weak keys: a view lives as long as the cache keeps its fragment.
 */
const views = new WeakMap<Fragment, RenderedView>();

function renderedView(
  input: IntroPageInput,
  personal: Fragment | null,
  shared: Fragment | null,
  degradedList: SectionName[],
  etag: string,
  flags: Evaluation,
): RenderedView {
  const known = personal ? views.get(personal) : undefined;
  if (known && known.userId === input.userId && known.shared === shared && known.etag === etag) return known;
  const sections = {} as { [K in SectionName]: SectionData[K] | null };
  for (const name of SECTION_NAMES) {
    (sections as Record<string, unknown>)[name] = personal?.s[name] ?? shared?.s[name] ?? null;
  }
  const newest = Math.max(personal?.at ?? 0, shared?.at ?? 0);
  // generatedAt is when the newest data in the page was read, not when this response was
  // made: otherwise every response would differ and no If-None-Match could ever match.
  const generatedAt = new Date(newest || (input.now ?? Date.now())).toISOString();
  const view: RenderedView = {
    userId: input.userId,
    shared,
    etag,
    // The ETag carries the flags' fingerprint, so a view found by it has these answers.
    page: { userId: input.userId, generatedAt, sections, flags: flags.values, degraded: degradedList },
  };
  // Without a personal fragment the page is made of what failed: not worth keeping.
  if (personal) views.set(personal, view);
  return view;
}

const rank = (o: FragmentOutcome) =>
  o.result === 'degraded' ? 4 : o.layer === 'd1' ? 3 : o.layer === 'kv' ? 2 : o.result === 'stale' ? 1 : 0;

/**
 * One Cache-Status list for the page (RFC 9211: the cache nearest the origin first), for the
 * fragment that came from furthest away; the per-section detail is in Server-Timing.
 */
export function cacheStatus(outcomes: FragmentOutcome[]): string {
  const o = outcomes.reduce((a, b) => (rank(b) > rank(a) ? b : a));
  const ttl = `ttl=${Math.round((o.freshMs - o.ageMs) / 1000)}`;
  const failed = o.result === 'degraded' ? '; detail=source-failed' : '';
  if (o.layer === 'isolate') {
    const kv = o.result === 'degraded' ? 'foyer-kv; fwd=miss, ' : '';
    return `${kv}foyer-isolate; hit; ${ttl}${failed}`;
  }
  if (o.layer === 'kv') return `foyer-kv; hit; ${ttl}${failed}, foyer-isolate; fwd=miss; stored`;
  if (o.layer === 'd1') return `foyer-kv; fwd=miss; stored${failed}, foyer-isolate; fwd=miss; stored`;
  return `foyer-kv; fwd=miss${failed}, foyer-isolate; fwd=miss`;
}

/**
 * A warm page's timings are the same list every time (no I/O, so every figure is 0; the section
 * names are the fragments'): made once per view, not once per request.
 */
function isolateTimings(view: RenderedView, personal: FragmentOutcome, shared: FragmentOutcome): readonly PageTiming[] {
  view.isolateTimings ??= timings(0, [personal, shared]);
  return view.isolateTimings;
}

function timings(coordMs: number, outcomes: FragmentOutcome[]): PageTiming[] {
  const out: PageTiming[] = [{ name: 'coord', ms: coordMs, description: 'purge generations' }];
  for (const layer of ['isolate', 'kv', 'd1'] as const) {
    const spent = outcomes.map((o) => o.ms[layer]).filter((ms): ms is number => ms !== undefined);
    if (spent.length > 0) out.push({ name: layer, ms: Math.max(...spent), description: layer === 'd1' ? 'D1 batch' : `${layer} lookup` });
  }
  for (const o of outcomes) {
    const ms = (o.ms.isolate ?? 0) + (o.ms.kv ?? 0) + (o.ms.d1 ?? 0);
    const names = o.fragment ? (Object.keys(o.fragment.s) as SectionName[]) : o.degraded;
    for (const name of new Set([...names, ...o.degraded])) {
      const state = o.degraded.includes(name) ? (o.fragment?.s[name] !== undefined ? 'last-good' : 'missing') : o.result;
      out.push({ name, ms, description: `${o.layer} ${state}${o.coalesced ? ' coalesced' : ''}` });
    }
  }
  return out;
}
