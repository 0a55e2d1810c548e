import { z } from '@hono/zod-openapi';
import { userIdSchema } from '../auth/principal';
import { SECTION_NAMES, SECTIONS, type SectionName } from '../sections';
import { sectionNameSchema } from '../sections/personalization';
import { personalFreshMsFor } from './config';
import { type Fragment, kvKeys } from './fragment';
import { fragmentCache } from './fragment-cache';
import { personalEpoch, sharedEpoch } from './purge-state';

const sectionHealthSchema = z.object({
  /** Where the section's data comes from when it is computed. */
  source: z.literal('d1'),
  scope: z.enum(['user', 'shared']),
  /** fresh: within its TTL; stale: served while a refresh runs; expired: only a last-good reserve; missing: nothing cached. */
  freshness: z.enum(['fresh', 'stale', 'expired', 'missing', 'unknown']),
  cache: z.object({
    layer: z.enum(['isolate', 'kv', 'none']),
    epoch: z.number().int().nullable(),
    version: z.number().int().nullable(),
    computedAt: z.iso.datetime().nullable(),
    ageSeconds: z.number().nullable(),
    ttlSeconds: z.number(),
  }),
  /** The last failure of this section's source seen by the isolate that answers (null: none). */
  lastError: z.object({ at: z.iso.datetime(), reason: z.string() }).nullable(),
});

export const introPageHealthSchema = z
  .object({
    userId: userIdSchema,
    checkedAt: z.iso.datetime(),
    /** false when the cache coordinator cannot be reached: pages are then computed from D1 uncached. */
    coordinatorReachable: z.boolean(),
    sections: z.record(sectionNameSchema, sectionHealthSchema),
  })
  .openapi('IntroPageHealth');

export type IntroPageHealth = z.infer<typeof introPageHealthSchema>;

/** Reads the cache only (this isolate, then one KV bulk read); never computes a section. */
export async function introPageHealth(env: Env, userId: string, minVersion: number): Promise<IntroPageHealth> {
  const now = Date.now();
  const cache = fragmentCache;
  const state = await cache.purgeState(env);
  const min = Math.max(minVersion, cache.knownVersion(userId));
  let personal: { f: Fragment; layer: 'isolate' | 'kv' } | undefined;
  let shared: { f: Fragment; layer: 'isolate' | 'kv' } | undefined;
  if (state) {
    const held = cache.inMemory(state, userId);
    if (held.personal && held.personal.v >= min) personal = { f: held.personal, layer: 'isolate' };
    if (held.shared) shared = { f: held.shared, layer: 'isolate' };
    const pKeys = kvKeys(personalEpoch(state, userId));
    const sKey = kvKeys(sharedEpoch(state)).shared();
    const wanted = [
      ...(personal ? [] : [pKeys.latest(userId), ...(min > 0 ? [pKeys.version(userId, min)] : [])]),
      ...(shared ? [] : [sKey]),
    ];
    if (wanted.length > 0) {
      const got = await env.CACHE.get<Fragment>(wanted, 'json').catch(() => new Map<string, Fragment | null>());
      for (const [key, f] of got) {
        if (!f) continue;
        if (key === sKey) shared = { f, layer: 'kv' };
        else if (f.v >= min && (!personal || f.at > personal.f.at)) personal = { f, layer: 'kv' };
      }
    }
  }
  const sections = {} as IntroPageHealth['sections'];
  for (const name of SECTION_NAMES) {
    const scope = SECTIONS[name].scope;
    const held = scope === 'shared' ? shared : personal;
    const ttlMs = scope === 'shared' ? cache.config.sharedFreshMs : personalFreshMsFor(cache.config, userId);
    const age = held ? now - held.f.at : null;
    const error = cache.lastError(scope === 'shared' ? '*' : userId, name as SectionName);
    sections[name] = {
      source: 'd1',
      scope,
      freshness: !state
        ? 'unknown'
        : age === null
          ? 'missing'
          : age < ttlMs
            ? 'fresh'
            : age < ttlMs + cache.config.staleWhileRevalidateMs
              ? 'stale'
              : 'expired',
      cache: {
        layer: held?.layer ?? 'none',
        epoch: state ? (scope === 'shared' ? sharedEpoch(state) : personalEpoch(state, userId)) : null,
        version: held && scope === 'user' ? held.f.v : null,
        computedAt: held ? new Date(held.f.at).toISOString() : null,
        ageSeconds: age === null ? null : Math.round(age / 100) / 10,
        ttlSeconds: ttlMs / 1000,
      },
      lastError: error ? { at: new Date(error.at).toISOString(), reason: error.reason } : null,
    };
  }
  return { userId, checkedAt: new Date(now).toISOString(), coordinatorReachable: state !== undefined, sections };
}
