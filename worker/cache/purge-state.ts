import { SECTION_NAMES, SECTIONS, type SectionName } from '../sections';

/** Sections computed once for everyone; the rest are per user and cached together as one bundle. */
export const SHARED_SECTIONS = SECTION_NAMES.filter((n) => SECTIONS[n].scope === 'shared');
export const PERSONAL_SECTIONS = SECTION_NAMES.filter((n) => SECTIONS[n].scope === 'user');

/**
 * How long a fragment may stay in KV. It is also how long it can stand in as the "last good"
 * copy while its source is down. KV honours `expirationTtl`, so after this no reader can get it.
 */
export const KV_FRAGMENT_TTL_SECONDS = 24 * 60 * 60;

/**
 * A user's purge entry is kept this long, past the life of any fragment written under the
 * epoch it replaced (KV TTL plus slack for in-flight computations); after that the entry can go.
 */
export const PURGE_RETAIN_MS = (KV_FRAGMENT_TTL_SECONDS + 3600) * 1000;

export type PurgeScope = { scope: 'all' } | { scope: 'user'; userId: string } | { scope: 'section'; section: SectionName; userId?: string };

/**
 * What every isolate must know before it may serve a fragment. Every purge takes the next
 * number of one global sequence and records it on what it purged; a fragment's epoch is the
 * largest number among what covers it. Keys embed the epoch, so a purge moves every reader
 * of what it covers to keys nobody has written yet: KV holds no purged value under them.
 */
export interface PurgeState {
  /** The last purge's number (0: none yet). */
  seq: number;
  /** Number of the last purge of everything. */
  all: number;
  /** Number of the last section-wide purge, by section. */
  sections: Partial<Record<SectionName, number>>;
  /** Number and time of the last purge touching one user's personal fragments. */
  users: Record<string, { seq: number; at: number }>;
}

export function emptyPurgeState(): PurgeState {
  return { seq: 0, all: 0, sections: {}, users: {} };
}

/** The epoch of a user's personal bundle. */
export function personalEpoch(state: PurgeState, userId: string): number {
  let epoch = Math.max(state.all, state.users[userId]?.seq ?? 0);
  for (const name of PERSONAL_SECTIONS) epoch = Math.max(epoch, state.sections[name] ?? 0);
  return epoch;
}

/** The epoch of the shared fragment (the same for every user). */
export function sharedEpoch(state: PurgeState): number {
  let epoch = state.all;
  for (const name of SHARED_SECTIONS) epoch = Math.max(epoch, state.sections[name] ?? 0);
  return epoch;
}

/**
 * Applies a purge to the state (in place) and says what it covers. A personal section is
 * cached inside its user's bundle, so purging one such section for one user renews the bundle;
 * purging a shared section "for a user" renews the one copy everybody shares.
 */
export function applyPurge(state: PurgeState, purge: PurgeScope, now: number): { seq: number; covers: string } {
  const seq = ++state.seq;
  if (purge.scope === 'all') {
    state.all = seq;
    return { seq, covers: 'every fragment' };
  }
  if (purge.scope === 'user') {
    state.users[purge.userId] = { seq, at: now };
    return { seq, covers: `the personal fragments of ${purge.userId}` };
  }
  if (SHARED_SECTIONS.includes(purge.section) || purge.userId === undefined) {
    state.sections[purge.section] = seq;
    return {
      seq,
      covers: SHARED_SECTIONS.includes(purge.section) ? `the shared ${purge.section} fragment` : `${purge.section} of every user`,
    };
  }
  state.users[purge.userId] = { seq, at: now };
  return { seq, covers: `${purge.section} of ${purge.userId} (cached in their personal bundle, renewed whole)` };
}

/** Drops user entries whose replaced fragments can no longer exist anywhere. */
export function prunePurgeState(state: PurgeState, now: number): void {
  for (const [userId, entry] of Object.entries(state.users)) {
    if (now - entry.at > PURGE_RETAIN_MS) delete state.users[userId];
  }
}
