import type { BatchItem } from 'drizzle-orm/batch';
import type { SectionName } from '../sections';
import type { SectionReads } from '../sections/load';
import type { Fragment, Slot } from './fragment';

/**
 * A user's write-through: the reads that bring their bundle forward past a write, for the write's
 * own D1 batch. The service appends `statements` after its change (D1 runs a batch as one
 * transaction, so they see the change and its event committed, and no later write) and hands
 * their results back; the cache then brings the bundle it holds forward without a round trip of
 * its own (FragmentCache.afterWrite). Everything but `statements` is the cache's.
 */
export interface WriteThrough {
  readonly statements: readonly BatchItem<'sqlite'>[];
  readonly userId: string;
  /** The moment the reads describe: the write must be made at the same `now`. */
  readonly now: number;
  readonly slot: Slot;
  /** The bundle this isolate held when the write began (the one to bring forward). */
  readonly base: Fragment;
  readonly sections: readonly SectionName[];
  readonly build: SectionReads['build'];
}
