import { LRU_ENTRY_BYTES, Lru, NUMBER_BYTES, OTHER_BYTES, objectBytes, stringBytes } from '../isolate';
import { log } from '../observability/log';
import type { SectionName } from '../sections';
import type { LookupCounts } from './lookup-counts';
import { BudgetExceeded } from './page-source';

/**
 * The last failure this isolate saw per fragment and section, for the health route. It holds a
 * reason, never the driver's message (that may carry SQL); the message goes to the log only.
 */
export class SectionErrors {
  readonly #last = new Lru<string, { at: number; reason: string }>({
    maxBytes: OTHER_BYTES.sectionErrors,
    // The reason strings are shared constants: only the key and the small object are this entry's.
    sizeOf: (key) => LRU_ENTRY_BYTES + stringBytes(key) + objectBytes(2) + NUMBER_BYTES,
  });

  get bytes(): number {
    return this.#last.bytes;
  }

  constructor(
    readonly budgetMs: number,
    readonly counts: LookupCounts,
  ) {}

  /** Sections whose source failed: counted, logged with the driver's message, remembered with a reason. */
  record(errorKey: string, errors: Partial<Record<SectionName, Error>>, now: number): void {
    for (const [name, err] of Object.entries(errors)) {
      this.counts.count((c) => c.d1.failures++);
      this.#last.set(`${errorKey}/${name}`, { at: now, reason: this.reasonOf(err) });
      log.error('section source failed', { section: name, key: errorKey, error: err.message });
    }
  }

  /** Marks sections as failed for this request without logging again (the failure was logged where it happened). */
  mark(errorKey: string, sections: readonly SectionName[], err: unknown, now: number): void {
    const reason = this.reasonOf(err);
    for (const name of sections) this.#last.set(`${errorKey}/${name}`, { at: now, reason });
  }

  last(errorKey: string, section: SectionName): { at: number; reason: string } | undefined {
    return this.#last.peek(`${errorKey}/${section}`);
  }

  clear(): void {
    this.#last.clear();
  }

  /** Reasons shown on the health route: never the driver's message (it may carry SQL). */
  reasonOf(err: unknown): string {
    if (err instanceof BudgetExceeded) return `source exceeded the ${this.budgetMs} ms time budget`;
    return 'source failed (D1 returned an error)';
  }
}
