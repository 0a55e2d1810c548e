/**
 * The page cache's one public face: everything outside worker/cache imports it from here
 * (test/config/import-layers.test.ts holds that). Read a page (`fragmentCache.personal`,
 * `shared`, `pageFromIsolate`, `purgeState`), apply a write (`writeThroughFor`, `afterWrite`),
 * purge, warm (`refreshPersonal`, `refreshShared`), health and diagnostics, and the wire
 * contract the CacheCoordinator object shares. Design: docs/architecture.md#cache.
 */
export { type CacheConfig, DEFAULT_CACHE_CONFIG } from './config';
export { addCounters, type CacheCounters, emptyCounters, hitRates } from './counters';
export { introPageHealth, introPageHealthSchema } from './diagnostics';
export type { CacheRequest, Fragment, FragmentOutcome, Layer, WaitUntil } from './fragment';
export { FragmentCache, fragmentCache } from './fragment-cache';
export { type CoordinatorStats, coordinatorOf, PURGE_STATE_KEY, type PurgeResult, type ReportResult } from './protocol';
export { applyPurge, emptyPurgeState, type PurgeScope, type PurgeState, prunePurgeState } from './purge-state';
export { capVersionHint, noteServedVersion } from './version-ceiling';
export type { WriteThrough } from './write-through';
