import { replicaDb } from '../db/sessions';
import type { ActivityEvent } from '../schemas/activity-event';
import type { SectionData } from '../sections';
import { feedWith, sectionsChangedBy } from '../sections/after-event';
import { loadSectionsFromD1 } from '../sections/load';
import type { Fragment } from './fragment';
import { BUNDLE_ORDER, type Computed, contentHash } from './page-source';

/**
 * A user's bundle brought forward by one committed event (the write-through's cheap path):
 * the sections the event can change or that depend on the clock (sections/after-event.ts) are
 * read again from D1 in one batch, with the user's newest event id beside them; the feed gets
 * the event put on top; the rest is the bundle's own. Every section not read again depends only
 * on the user's events, so the result equals reading the whole bundle now (property-tested:
 * test/cache/write-delta.property.test.ts).
 *
 * Undefined when it would not: `base` is not exactly one version behind the event (ids grow by
 * one per user, so a gap means a change this isolate did not see) or lacks a section, D1 already
 * holds a newer event (another write committed meanwhile), or a section failed. The caller then
 * reads the whole bundle (page-source.ts).
 */
export async function readFragmentAfter(
  env: Env,
  userId: string,
  base: Fragment,
  event: ActivityEvent,
  now: number,
  bookmark = 'first-primary',
): Promise<Computed | undefined> {
  const reread = sectionsChangedBy(event);
  const { personalization, activityFeed } = base.s;
  if (!reread || base.v !== event.id - 1 || !personalization || !activityFeed) return undefined;
  if (BUNDLE_ORDER.some((name) => base.s[name] === undefined)) return undefined;
  const loaded = await loadSectionsFromD1(
    // At the write's own bookmark (else the primary): a replica behind it would lack the event.
    replicaDb(env, bookmark),
    reread,
    { userId, now, timeZone: personalization.timeZone },
    { newestEventId: true },
  );
  if (loaded.newestEventId !== event.id) return undefined;
  if (reread.some((name) => loaded.errors[name] || loaded.data[name] === undefined)) return undefined;
  const merged: Partial<SectionData> = { ...base.s, ...loaded.data, activityFeed: feedWith(activityFeed, event) };
  const s: Partial<SectionData> = {};
  for (const name of BUNDLE_ORDER) (s as Record<string, unknown>)[name] = merged[name];
  return { fragment: { v: event.id, at: now, h: await contentHash(now, s), s }, failed: [], errors: {} };
}
