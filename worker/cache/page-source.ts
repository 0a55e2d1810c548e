import { replicaDb } from '../db/sessions';
import type { SectionName } from '../sections';
import { loadSectionsFromD1 } from '../sections/load';
import { withTimeout } from '../time-limit';
import type { Fragment, WaitUntil } from './fragment';
import { PERSONAL_SECTIONS, SHARED_SECTIONS } from './purge-state';

/** A fragment read from its source, with what failed inside it. */
export interface Computed {
  fragment: Fragment;
  /** Sections whose source failed inside an otherwise good computation. */
  failed: SectionName[];
  /** Each failed section's reason (logged and recorded by the caller, never sent to clients). */
  errors: Partial<Record<SectionName, Error>>;
}

/** Every section of the fragment failed: there is nothing to store or serve from this computation. */
export class SourceFailed extends Error {
  constructor(readonly errors: Partial<Record<SectionName, Error>>) {
    super('every section of the fragment failed');
  }
}

export class BudgetExceeded extends Error {}

/**
 * The personal bundle's sections in the order a whole read stores them (personalization first:
 * the others need its zone), so that a bundle brought forward by an event (delta-source.ts)
 * serialises, and hashes, exactly like one read whole.
 */
export const BUNDLE_ORDER: readonly SectionName[] = ['personalization', ...PERSONAL_SECTIONS.filter((n) => n !== 'personalization')];

/** The sections a fragment holds: the personal bundle, or the shared one. */
export function sectionsOf(kind: 'personal' | 'shared'): readonly SectionName[] {
  return kind === 'personal' ? PERSONAL_SECTIONS : SHARED_SECTIONS;
}

/**
 * Reads one fragment from D1: its sections in one `db.batch` (worker/sections/load.ts). The
 * shared fragment reads no user's rows by id (`userId` '*', zone UTC); a personal one takes the
 * user's version from their newest activity event. The batch runs in a D1 session that starts at
 * `bookmark` (the user's own read after their write) or at the nearest replica
 * (worker/db/sessions.ts). Throws SourceFailed when every section failed, NotFoundError when the
 * user does not exist.
 */
export async function readFragment(
  env: Env,
  kind: 'personal' | 'shared',
  userId: string,
  now: number,
  bookmark?: string,
): Promise<Computed> {
  const sections = sectionsOf(kind);
  const input = kind === 'personal' ? { userId, now } : { userId: '*', now, timeZone: 'UTC' };
  const loaded = await loadSectionsFromD1(replicaDb(env, bookmark), sections, input);
  const failed = sections.filter((n) => loaded.errors[n] || loaded.data[n] === undefined);
  if (failed.length === sections.length) throw new SourceFailed(loaded.errors);
  const version = kind === 'personal' ? (loaded.data.activityFeed?.events[0]?.id ?? 0) : 0;
  return { fragment: { v: version, at: now, h: await contentHash(now, loaded.data), s: loaded.data }, failed, errors: loaded.errors };
}

/** The fragment's short content hash (its `h`), from which the page's strong ETag is built. */
export async function contentHash(at: number, sections: Fragment['s']): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify([at, sections]));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  let hex = '';
  for (let i = 0; i < 8; i++) hex += (digest[i] as number).toString(16).padStart(2, '0');
  return hex;
}

/** Races a source against the time budget; a late result still finishes (and fills the cache) via waitUntil. */
export async function withBudget<T>(promise: Promise<T>, budgetMs: number, waitUntil: WaitUntil): Promise<T> {
  try {
    return await withTimeout(promise, budgetMs, () => new BudgetExceeded());
  } catch (err) {
    if (err instanceof BudgetExceeded) waitUntil(promise.catch(() => undefined));
    throw err;
  }
}
