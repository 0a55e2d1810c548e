import { replicaDb } from '../db/sessions';
import type { ActivityEvent } from '../schemas/activity-event';
import type { SectionData, SectionName } from '../sections';
import { feedWith, sectionsChangedBy } from '../sections/after-event';
import { type LoadedSections, loadSectionsFromD1 } from '../sections/load';
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
 *
 * The write path does not come here when it can avoid it: it reads the same sections inside the
 * write's own batch (write-through.ts) and calls `applyEvent` with what they returned.
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
  const { personalization } = base.s;
  if (!reread || !canBringForward(base, event)) return undefined;
  const loaded = await loadSectionsFromD1(
    // At the write's own bookmark (else the primary): a replica behind it would lack the event.
    replicaDb(env, bookmark),
    reread,
    { userId, now, timeZone: personalization?.timeZone },
    { newestEventId: true },
  );
  if (loaded.newestEventId !== event.id) return undefined;
  return applyEvent(base, event, reread, loaded, now);
}

/** Whether `base` can be brought forward by `event`: exactly one version behind, and whole. */
export function canBringForward(base: Fragment, event: ActivityEvent): boolean {
  return base.v === event.id - 1 && isWholeBundle(base);
}

/** Every section of the personal bundle present (a degraded copy is never the base of a delta). */
export function isWholeBundle(base: Fragment): boolean {
  return BUNDLE_ORDER.every((name) => base.s[name] !== undefined);
}

/**
 * `base` after `event`, given the sections `reread` as D1 holds them once the event committed
 * (and no later event): those sections replaced, the event put on top of the feed, the rest
 * carried over, in a whole read's order. Undefined when a reread section failed or is missing.
 */
export async function applyEvent(
  base: Fragment,
  event: ActivityEvent,
  reread: readonly SectionName[],
  loaded: Pick<LoadedSections, 'data' | 'errors'>,
  now: number,
): Promise<Computed | undefined> {
  const { activityFeed } = base.s;
  if (!activityFeed || !canBringForward(base, event)) return undefined;
  if (reread.some((name) => loaded.errors[name] || loaded.data[name] === undefined)) return undefined;
  const merged: Partial<SectionData> = { ...base.s, ...loaded.data, activityFeed: feedWith(activityFeed, event) };
  const s: Partial<SectionData> = {};
  for (const name of BUNDLE_ORDER) (s as Record<string, unknown>)[name] = merged[name];
  return { fragment: { v: event.id, at: now, h: await contentHash(now, s), s }, failed: [], errors: {} };
}
