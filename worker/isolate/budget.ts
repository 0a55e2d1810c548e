/**
 * The isolate memory budget: what every per-isolate cache may hold, in accounted bytes
 * (sizes.ts). A Worker isolate has 128 MB
 * (https://developers.cloudflare.com/workers/platform/limits/#memory) and is ended, with every
 * request in it, when it goes over; the code, the runtime's own objects and the requests in
 * flight need the rest. Why these figures: docs/capacity.md#isolate-memory-budget.
 */
const MiB = 1024 * 1024;

/** Cached pages: personal bundles (parsed), the shared fragment, and each page's JSON bytes. */
export const PAGE_DATA_BYTES = 20 * MiB;

/**
 * Of the pages' 36 MiB, what the rendered HTML of GET / may hold (worker/html/document.tsx): a
 * warm page's markup is about 16 KB, so about 1,000 viewers, near the ~1,350 users whose data
 * the page budget holds. At 4 MiB (~250 viewers) a thousand users cycling through one isolate
 * were re-rendered on most requests: a quarter of GET /'s CPU (docs/performance.md).
 */
export const RENDERED_PAGE_BYTES = 16 * MiB;

/** Everything else the isolate remembers across requests, 8 MiB in all. */
export const OTHER_BYTES = {
  /** Versions seen committed per user (read-your-writes within the isolate). */
  knownVersions: 1 * MiB,
  /** When each KV key was last written (KV's one write per key per second). */
  kvRecentPuts: 1 * MiB,
  /** The last failure per fragment and section (health route). */
  sectionErrors: 0.25 * MiB,
  /** Ceilings on forged version hints. */
  versionCeilings: 0.25 * MiB,
  /** Tokens verified recently (saves an HMAC or a signature check per request). */
  verifiedTokens: 2 * MiB,
  /** Logouts seen by this isolate. */
  revocations: 0.5 * MiB,
  /** Rate-limit leases held per principal and class. */
  rateLimitAllowances: 1 * MiB,
  /** Rendered site headers per viewer (GET /, /admin). */
  renderedHeaders: 0.5 * MiB,
  /** Metric series keys, and points not yet flushed to the metrics object. */
  metricKeys: 0.5 * MiB,
  metricPoints: 1 * MiB,
} as const;

/** Every line of the budget by name: what `heldLru` (index.ts) bounds each cache to. */
export const MEMORY_BUDGET = { pages: PAGE_DATA_BYTES, renderedPages: RENDERED_PAGE_BYTES, ...OTHER_BYTES } as const;
export type MemoryBudgetName = keyof typeof MEMORY_BUDGET;

/** The whole budget: 44 MiB, about a third of the isolate. */
export const ISOLATE_CACHE_BYTES = Object.values(MEMORY_BUDGET).reduce((a, b) => a + b, 0);
