import type { BatchItem } from 'drizzle-orm/batch';
import type { SectionName } from '../sections';
import type { SectionReads } from '../sections/load';
import type { Fragment, Slot } from './fragment';

/**
 * The reads a user's write-through needs, for the write's own D1 batch: the service appends
 * `statements` after its change (D1 runs a batch as one transaction, so they see the change and
 * its event committed, and no later write), and hands their results back with
 * `AnsweredWriteThrough`; the cache then brings the bundle it holds forward without a round trip
 * of its own (FragmentCache.refreshAfterWrite). Everything but `statements` is the cache's.
 */
export interface WriteThroughReads {
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

/** The reads and what the write's batch returned for them, in order. */
export interface AnsweredWriteThrough {
  reads: WriteThroughReads;
  results: readonly unknown[];
}

/** The answered reads of a write, when it carried some (its service returns their results). */
export function answeredBy(
  reads: WriteThroughReads | undefined,
  results: readonly unknown[] | undefined,
): AnsweredWriteThrough | undefined {
  return reads && results ? { reads, results } : undefined;
}
