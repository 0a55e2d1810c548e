import type { SectionData, SectionName } from '../sections';
import { type PurgeState, personalEpoch, sharedEpoch } from './purge-state';

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

/**
 * Where one fragment is stored under the current purge generations: a user's personal bundle,
 * or the shared fragment (`userId` '*'). The epoch is part of every key (see purge-state.ts).
 */
export interface Slot {
  kind: 'personal' | 'shared';
  epoch: number;
  userId: string;
}

export type WaitUntil = (promise: Promise<unknown>) => void;

/** What one request brings: its bindings and a way to keep background work alive. */
export interface CacheRequest {
  env: Env;
  waitUntil: WaitUntil;
  now?: number;
  /**
   * Where a personal fragment's D1 read starts: the caller's bookmark or 'first-primary'
   * (worker/http/version-token.ts `readPosition`); undefined: the nearest replica.
   */
  bookmark?: string;
}

export function kvKeys(epoch: number) {
  return {
    version: (userId: string, v: number) => `frag:e${epoch}:user:${userId}:v${v}`,
    latest: (userId: string) => `frag:e${epoch}:user:${userId}:latest`,
    shared: () => `frag:e${epoch}:shared`,
  };
}

/** The outcome of a fresh, new-enough copy held in the isolate; else undefined. */
export function fresh(
  fragment: Fragment | undefined,
  kind: FragmentOutcome['kind'],
  freshMs: number,
  minVersion: number,
  now: number,
): FragmentOutcome | undefined {
  if (!fragment || fragment.v < minVersion) return undefined;
  const ageMs = now - fragment.at;
  if (ageMs >= freshMs) return undefined;
  return { kind, fragment, layer: 'isolate', result: 'hit', degraded: [], ms: { isolate: 0 }, ageMs, freshMs, coalesced: false };
}

export function personalSlot(state: PurgeState, userId: string): Slot {
  return { kind: 'personal', epoch: personalEpoch(state, userId), userId };
}

export function sharedSlot(state: PurgeState): Slot {
  return { kind: 'shared', epoch: sharedEpoch(state), userId: '*' };
}
