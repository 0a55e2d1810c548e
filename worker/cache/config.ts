import { hash32 } from '../hash';
import { PAGE_DATA_BYTES } from '../isolate';

export interface CacheConfig {
  /** Accounted bytes of page data kept in the isolate: personal bundles, shared fragments, rendered pages (worker/isolate/budget.ts). */
  isolateBytes: number;
  /** Personal fragments: fresh for this long. Bounds how late time-driven changes (a task falling overdue) and other people's changes show. */
  personalFreshMs: number;
  /** The shared fragment: fresh for this long, then refreshed in the background. */
  sharedFreshMs: number;
  /** Past its TTL a copy is still served (and refreshed in the background) for this long. */
  staleWhileRevalidateMs: number;
  /** A section source slower than this is treated as failed for this request (its result still lands in the cache). */
  budgetMs: number;
  /**
   * How stale an isolate's copy of the purge generations may get; a purge waits this long
   * before it answers (locally). A busy isolate re-reads it every 500 ms, so the read has the
   * rest of this window to come back before any request waits for it.
   */
  syncMs: number;
  /** false: every page is computed from D1 and nothing is stored (figures tests, diagnostics). */
  enabled: boolean;
}

export const DEFAULT_CACHE_CONFIG: CacheConfig = {
  isolateBytes: PAGE_DATA_BYTES,
  // The user's own writes never wait for this (the version token does); it bounds only
  // time-driven changes and changes by others. Each expiry costs a D1 batch per user, so a
  // short TTL over many users is a steady background load on D1.
  personalFreshMs: 5 * 60_000,
  sharedFreshMs: 60_000,
  staleWhileRevalidateMs: 10 * 60_000,
  budgetMs: 1500,
  // 3 s, not 1: at 1,000 connections on two cores a KV read can take seconds to come back
  // (it waits behind every queued request), and a copy that expires before its refresh lands
  // makes every request wait for it (docs/performance.md, 1,000 connections).
  syncMs: 3000,
  enabled: true,
};

/**
 * How much earlier than `personalFreshMs` a user's personal fragment may expire, spread by user.
 * Pages warmed together (a deploy, the admin warm route, a load test's warm-up) would otherwise
 * all expire in the same second, and their background recomputes came in waves: in the
 * 10-minute soak throughput fell to a quarter and p99 reached ~2.8 s every 5 minutes
 * (docs/performance.md). Only ever earlier, so the documented bound on staleness still holds.
 */
export const PERSONAL_FRESH_SPREAD = 0.2;

/** This user's personal freshness: `personalFreshMs` less up to 20 %, the same in every isolate. */
export function personalFreshMsFor(config: Pick<CacheConfig, 'personalFreshMs'>, userId: string): number {
  return Math.round(config.personalFreshMs * (1 - (PERSONAL_FRESH_SPREAD * hash32(userId)) / 2 ** 32));
}
